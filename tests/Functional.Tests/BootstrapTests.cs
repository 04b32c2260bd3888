using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The bootstrap credentials are for a fresh install only: the first administrator is created into
/// an empty directory, never again (renaming or deleting <c>admin</c> stands across restarts), and
/// the bootstrap client can be deactivated by an administrator, which a restart does not undo.
/// Each test restarts one service and puts the shared system back as it found it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BootstrapTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task ARenamedFirstAdministratorIsNotRecreatedWhenTheServiceRestarts()
    {
        var admin = await ReadAsDictionaryAsync("/api/admin/users/admin");
        var sysId = ((JsonElement)admin["sysId"]!).GetString()!;
        var renamed = TestApi.Unique("root");
        admin["userName"] = renamed;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, "/api/admin/users/admin", admin)).StatusCode);
        try
        {
            // Healthy means the first-administrator decision is made (it is part of the directory's readiness).
            await RestartAsync("directory");

            await using var db = await system.DatabaseAsync("directorydb");
            Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM app_user WHERE lower(user_name) = 'admin'"));
            Assert.Equal(renamed, await ScalarAsync<string>(db, "SELECT user_name FROM app_user WHERE sys_id = $1", sysId));
        }
        finally
        {
            // Back as the other tests expect it (a wrongly recreated 'admin' removed first).
            await using var db = await system.DatabaseAsync("directorydb");
            await ScalarAsync<object>(db, "DELETE FROM app_user WHERE lower(user_name) = 'admin' AND sys_id <> $1", sysId);
            admin["userName"] = "admin";
            Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{renamed}", admin)).StatusCode);
        }
    }

    [Fact]
    public async Task AnAdministratorCanDeactivateTheBootstrapClientAndARestartNeitherReactivatesNorRewritesIt()
    {
        var bootstrapId = await system.ParameterAsync("bootstrap-client-id");
        var bootstrapSecret = await system.ParameterAsync("bootstrap-client-secret");
        // The administration moves to a client of its own first: the bootstrap client is about to stop working.
        var (otherId, otherSecret) = await _api.CreateClientAsync(["admin.api"], applicationUser: "admin");
        var other = await _api.ClientCredentialsAsync(otherId, otherSecret);
        Assert.False(other.IsError, other.Error);
        var token = other.AccessToken!;

        var bootstrap = await ReadAsDictionaryAsync($"/api/admin/clients/{bootstrapId}", token);
        bootstrap["active"] = false;
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{bootstrapId}", bootstrap, token)).StatusCode);
            await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.ClientCredentialsAsync(bootstrapId, bootstrapSecret)) == "invalid_client",
                TimeSpan.FromSeconds(2), "refusing the deactivated bootstrap client");
            await using var db = await system.DatabaseAsync("clientregistrydb");
            const string Row = "SELECT version FROM oauth_client WHERE client_id = $1 AND NOT active";
            var version = await ScalarAsync<long>(db, Row, bootstrapId);

            await RestartAsync("client-registry");

            // Still inactive, and not rewritten (same version: no new secret, no settings put back).
            Assert.Equal(version, await ScalarAsync<long>(db, Row, bootstrapId));
            var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{bootstrapId}", token: token));
            Assert.False(read.GetProperty("active").GetBoolean());
            Assert.Equal("invalid_client", TestApi.OAuthError(await _api.ClientCredentialsAsync(bootstrapId, bootstrapSecret)));
        }
        finally
        {
            // Back as the other tests expect it: they administer with the bootstrap client.
            bootstrap["active"] = true;
            Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{bootstrapId}", bootstrap, token)).StatusCode);
            await TestApi.EventuallyAsync(async () => !(await _api.ClientCredentialsAsync(bootstrapId, bootstrapSecret)).IsError,
                TimeSpan.FromSeconds(5), "accepting the reactivated bootstrap client");
            Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/clients/{otherId}", token: token)).StatusCode);
        }
    }

    private async Task<Dictionary<string, object?>> ReadAsDictionaryAsync(string path, string? token = null)
    {
        var response = await _api.SendAsync(HttpMethod.Get, path, token: token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Dictionary<string, object?>>(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>Stops and starts a service, returning once it is healthy (ready) again.</summary>
    private async Task RestartAsync(string resource)
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand)).Success);
            await notifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand)).Success);
        }
        finally
        {
            await notifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(120));
        }
    }
}
