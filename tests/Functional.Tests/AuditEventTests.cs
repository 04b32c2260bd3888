using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>The client-credentials story leaves an audit trail: who did what, never the secrets.</summary>
[Collection(SystemCollection.Name)]
public sealed class AuditEventTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task RegistrationIssuanceRefusalRevocationAndAdminRefusalAreAuditedWithoutSecrets()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var jti = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Id;
        Assert.True((await _api.ClientCredentialsAsync(clientId, "wrong-secret")).IsError);
        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", token)], clientId, secret)).StatusCode);
        var rotated = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, $"/api/admin/clients/{clientId}/secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", anonymous: true)).StatusCode);

        var events = new List<JsonElement>();
        bool Has(string type, Func<JsonElement, bool> match) => events.Any(e => e.GetProperty("type").GetString() == type && match(e));
        bool ForClient(JsonElement e) => e.TryGetProperty("clientId", out var c) && c.GetString() == clientId;
        await TestApi.EventuallyAsync(async () =>
        {
            events.AddRange(await queue.ReadUntilAsync(_ => false, TimeSpan.FromMilliseconds(200)));
            return Has("ClientCreated", ForClient) && Has("TokenIssued", ForClient) && Has("TokenRequestRefused", ForClient)
                && Has("TokenRevoked", ForClient) && Has("ClientSecretRotated", ForClient) && Has("AdminAccessRefused", _ => true);
        }, TimeSpan.FromSeconds(15), "every event of the story");

        var issued = events.First(e => e.GetProperty("type").GetString() == "TokenIssued" && ForClient(e));
        Assert.Equal(jti, issued.GetProperty("jti").GetString());
        Assert.Equal("client_credentials", issued.GetProperty("grantType").GetString());
        Assert.Equal("token", issued.GetProperty("service").GetString());
        Assert.Equal(clientId, issued.GetProperty("actor").GetProperty("clientId").GetString());

        var refused = events.First(e => e.GetProperty("type").GetString() == "TokenRequestRefused" && ForClient(e));
        Assert.Equal("invalid_client", refused.GetProperty("error").GetString());
        Assert.Equal("Failure", refused.GetProperty("outcome").GetString());
        Assert.Equal("BadSecret", refused.GetProperty("reason").GetString());
        // The edge saw the test's loopback address and passed it on; the service believed only the edge.
        Assert.Equal("127.0.0.1", refused.GetProperty("remoteAddress").GetString());

        var created = events.First(e => e.GetProperty("type").GetString() == "ClientCreated" && ForClient(e));
        Assert.Equal("admin", created.GetProperty("actor").GetProperty("userName").GetString());

        var everything = string.Join('\n', events.Select(e => e.GetRawText()));
        Assert.DoesNotContain(secret, everything);
        Assert.DoesNotContain(rotated.GetProperty("clientSecret").GetString()!, everything);
        Assert.DoesNotContain(token, everything);
        Assert.DoesNotContain(token.Split('.')[2], everything);
    }
}
