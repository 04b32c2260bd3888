using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A scope or trust a client uses is never deleted (nor a trust renamed), although scope-policy and
/// federation-trust never call client-registry: each keeps its own view of which clients use what,
/// claimed by a client's save before it commits, settled by the client's events, and backfilled by
/// client-registry at its start when the view is not initialized.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ClientUseViewTests(SystemFixture system)
{
    private const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AScopeInUseIsRefusedAndDeletedOnceItsClientDropsIt()
    {
        var scope = await _api.CreateScopeAsync("dropped");
        var (clientId, _) = await _api.CreateClientAsync([scope, "useraccount"], defaultScopes: ["useraccount"]);

        var refused = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{scope}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(clientId, (await _api.ReadAsync(refused)).GetProperty("detail").GetString());

        var client = await ReadAsDictionaryAsync($"/api/admin/clients/{clientId}");
        client["scopes"] = new[] { "useraccount" };
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client)).StatusCode);
        await DeletedOnceSettledAsync($"/api/admin/scopes/{scope}", "the scope its client dropped");
    }

    [Fact]
    public async Task ATrustInUseIsNeitherDeletedNorRenamedAndIsDeletedOnceItsClientDropsIt()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await CreateTrustAsync(provider);
        var (clientId, _) = await _api.CreateClientAsync(["useraccount"], grantTypes: [TokenExchangeGrant, "client_credentials"], trusts: [trust]);

        var refused = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(clientId, (await _api.ReadAsync(refused)).GetProperty("detail").GetString());
        var renamed = await ReadAsDictionaryAsync($"/api/admin/trusts/{trust}");
        renamed["name"] = TestApi.Unique("idp");
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust}", renamed)).StatusCode);

        var client = await ReadAsDictionaryAsync($"/api/admin/clients/{clientId}");
        client["grantTypes"] = new[] { "client_credentials" };
        client["trusts"] = Array.Empty<string>();
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client)).StatusCode);
        await DeletedOnceSettledAsync($"/api/admin/trusts/{trust}", "the trust its client dropped");
    }

    [Fact]
    public async Task AClientSavedWithAScopeWhileTheScopeIsDeletedNeverEndsUpWithAScopeThatIsGone()
    {
        var (clientId, _) = await _api.CreateClientAsync(["useraccount"]);
        var client = await ReadAsDictionaryAsync($"/api/admin/clients/{clientId}");
        for (var round = 0; round < 20; round++)
        {
            var scope = await _api.CreateScopeAsync("race");
            client["scopes"] = new[] { "useraccount", scope };
            var save = _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client);
            var delete = _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{scope}");
            var (saved, deleted) = ((await save).StatusCode, (await delete).StatusCode);

            Assert.True(saved is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"round {round}: the save answered {saved}");
            Assert.True(deleted is HttpStatusCode.NoContent or HttpStatusCode.Conflict, $"round {round}: the delete answered {deleted}");
            Assert.False(saved == HttpStatusCode.OK && deleted == HttpStatusCode.NoContent, $"round {round}: both the save and the delete of {scope} won");
            var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
            if (stored.GetProperty("scopes").EnumerateArray().Any(s => s.GetString() == scope))
            {
                Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{scope}")).StatusCode);
            }
        }
    }

    [Fact]
    public async Task ALostViewRefusesDeletionsUntilClientRegistryBackfillsItAtItsStart()
    {
        var scope = await _api.CreateScopeAsync("backfill");
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await CreateTrustAsync(provider);
        await _api.CreateClientAsync([scope], grantTypes: [TokenExchangeGrant, "client_credentials"], trusts: [trust]);

        // As on the upgrade that brought the views: nothing known, not initialized.
        foreach (var database in new[] { "scopepolicydb", "federationtrustdb" })
        {
            await using var db = await system.DatabaseAsync(database);
            await using var reset = db.CreateCommand("UPDATE client_use_view SET initialized = false; DELETE FROM client_use; DELETE FROM client_use_version;");
            await reset.ExecuteNonQueryAsync();
        }

        // Never a 204 on an unknown state (events arriving meanwhile do not initialize the view).
        foreach (var path in new[] { $"/api/admin/scopes/{scope}", $"/api/admin/trusts/{trust}" })
        {
            var unknown = await _api.SendAsync(HttpMethod.Delete, path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }

        // client-registry is ready only once both views are backfilled.
        await RestartAsync("client-registry");

        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{scope}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust}")).StatusCode);
    }

    private async Task<string> CreateTrustAsync(TestKeyServer provider)
    {
        var name = TestApi.Unique("idp");
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name, issuer = provider.Issuer, clientIds = new[] { TestApi.Unique("app") }, userClaim = "sub", userField = "user_name",
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    /// <summary>Deletes as soon as the owner has settled the client's change event (409 until then; polled gently: the admin API is rate-limited).</summary>
    private async Task DeletedOnceSettledAsync(string path, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = (await _api.SendAsync(HttpMethod.Delete, path)).StatusCode;
            if (status == HttpStatusCode.NoContent)
            {
                return;
            }

            Assert.True(status == HttpStatusCode.Conflict && clock.Elapsed < TimeSpan.FromSeconds(15), $"deleting {what} answered {status} after {clock.Elapsed.TotalSeconds:0.0} s");
            await Task.Delay(200);
        }
    }

    private async Task<Dictionary<string, object?>> ReadAsDictionaryAsync(string path)
    {
        var response = await _api.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Dictionary<string, object?>>(await response.Content.ReadAsStringAsync())!;
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
