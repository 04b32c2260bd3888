using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.Functional.Tests;

/// <summary>The dashboard as the developer's front door: the edge's named links, and each command run as the dashboard runs it.</summary>
[Collection(SystemCollection.Name)]
public sealed class DashboardCommandTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private Task<ExecuteCommandResult> RunAsync(string resource, string command) =>
        system.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command);

    [Fact]
    public async Task TheEdgeLinksTheIssuerMetadataAndTheAdminApiReference()
    {
        Assert.True(system.App.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState("edge", out var state));
        var links = state!.Snapshot.Urls.Where(u => u.DisplayProperties.DisplayName is "Issuer metadata" or "Admin API reference").ToList();
        Assert.Equal(2, links.Count);
        foreach (var link in links)
        {
            Assert.StartsWith(system.Issuer + "/", link.Url);
            using var response = await _api.Edge.GetAsync(link.Url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{link.DisplayProperties.DisplayName}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task RotateSigningKeyNowPublishesANewKeyThroughTheAdminApi()
    {
        var before = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/keys"))).EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToHashSet();

        var result = await RunAsync("token", "rotate-signing-key");

        Assert.True(result.Success, result.Message);
        var keys = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/keys"))).EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        var added = Assert.Single(keys, kid => !before.Contains(kid));
        Assert.Contains(added!, result.Message);
    }

    [Fact]
    public async Task CreateDemoClientsRegistersAWebAppAndAPublicAppAndShowsTheSecretOnlyInTheResult()
    {
        var result = await RunAsync("authorize", "create-demo-clients");

        Assert.True(result.Success, result.Message);
        var data = JsonDocument.Parse(result.Data!.Value).RootElement;
        var webId = data.GetProperty("webApp").GetProperty("clientId").GetString()!;
        var secret = data.GetProperty("webApp").GetProperty("clientSecret").GetString()!;
        var spaId = data.GetProperty("singlePageApp").GetProperty("clientId").GetString()!;
        Assert.DoesNotContain(secret, result.Message);

        var web = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{webId}"));
        Assert.False(web.GetProperty("public").GetBoolean());
        var spa = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{spaId}"));
        Assert.True(spa.GetProperty("public").GetBoolean());
        Assert.True(spa.GetProperty("pkceRequired").GetBoolean());

        // The secret shown is the client's: it authenticates (revoking an unknown token answers 200), a wrong one does not.
        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", "unknown")], webId, secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.PostFormAsync("/oauth/revoke", [new("token", "unknown")], webId, secret + "x")).StatusCode);
    }
}
