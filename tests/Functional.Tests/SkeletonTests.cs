using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.Functional.Tests;

[Collection(SystemCollection.Name)]
public sealed class SkeletonTests(SystemFixture system)
{
    [Fact]
    public void EveryResourceIsRunningAndHealthy()
    {
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var expected = new[] { "postgres", "rabbitmq", "edge", "authorize", "token", "client-registry", "federation-trust", "scope-policy", "directory",
            "edgedb", "authorizedb", "tokendb", "clientregistrydb", "federationtrustdb", "scopepolicydb", "directorydb" };
        foreach (var name in expected)
        {
            Assert.True(notifications.TryGetCurrentState(name, out var state), $"{name} is not in the model");
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
            Assert.NotEqual(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, state.Snapshot.HealthStatus);
        }
    }

    [Theory]
    [InlineData("/.well-known/oauth-authorization-server")]
    [InlineData("/.well-known/openid-configuration")]
    public async Task MetadataDocumentThroughTheEdgeCarriesTheExactIssuer(string path)
    {
        var response = await system.Edge.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(system.Issuer, root.GetProperty("issuer").GetString());
        Assert.False(root.GetProperty("issuer").GetString()!.EndsWith('/'));
        var scopes = root.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()).ToArray();
        Assert.Superset(new HashSet<string?> { "openid", "profile", "email", "useraccount", "admin.api" }, scopes.ToHashSet());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("response_types_supported").ValueKind);
        Assert.All(root.EnumerateObject(), p => Assert.NotEqual(JsonValueKind.Null, p.Value.ValueKind));
    }

    [Fact]
    public async Task ScopesSupportedComeFromTheScopePolicyDatabase()
    {
        var name = $"test.scope.{Guid.NewGuid():N}"[..24];
        await using (var db = await system.DatabaseAsync("scopepolicydb"))
        {
            await using var insert = db.CreateCommand("INSERT INTO scope (name, description) VALUES ($1, 'Inserted by a test')");
            insert.Parameters.AddWithValue(name);
            await insert.ExecuteNonQueryAsync();
        }

        using var document = JsonDocument.Parse(await system.Edge.GetStringAsync("/.well-known/oauth-authorization-server"));

        Assert.Contains(name, document.RootElement.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));
    }
}
