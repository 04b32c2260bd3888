using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>Issue 3, end to end through the edge: a back-end gets a JWT and uses it on a protected API.</summary>
[Collection(SystemCollection.Name)]
public sealed class ClientCredentialsTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task TheBootstrapClientGetsAnAdminTokenFromAFreshInstall()
    {
        var response = await _api.ClientCredentialsAsync(await system.ParameterAsync("bootstrap-client-id"), await system.ParameterAsync("bootstrap-client-secret"));

        Assert.False(response.IsError, response.Error);
        Assert.Equal("Bearer", response.TokenType);
        Assert.Equal("admin.api", response.Scope);
        var jwt = new JsonWebToken(response.AccessToken);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(system.Issuer, jwt.Issuer);
        Assert.Equal([system.Issuer + "/api"], jwt.Audiences);
        Assert.Contains("admin", jwt.GetPayloadValue<string[]>("roles"));
        Assert.Null(response.RefreshToken);
    }

    [Fact]
    public async Task ARegisteredClientGetsAJwtThatJwtBearerAcceptsAndCallsTheSampleApi()
    {
        var user = await _api.CreateUserAsync(TestApi.Unique("svc"), ["itil"]);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], applicationUser: user.GetProperty("userName").GetString());

        // A standard OAuth client library, no custom code.
        var token = await _api.ClientCredentialsAsync(clientId, secret);
        Assert.False(token.IsError, token.Error);
        Assert.Equal(1800, token.ExpiresIn);
        Assert.Equal("useraccount", token.Scope);
        var jwt = new JsonWebToken(token.AccessToken);
        Assert.Equal(user.GetProperty("sysId").GetString(), jwt.Subject);
        Assert.Equal(clientId, jwt.GetPayloadValue<string>("client_id"));
        Assert.Equal(["itil"], jwt.GetPayloadValue<string[]>("roles"));
        Assert.Equal(jwt.GetPayloadValue<long>("iat") + 1800, jwt.GetPayloadValue<long>("exp"));
        Assert.False(string.IsNullOrEmpty(jwt.Id));

        // A stock resource server, configured from the metadata URL and the audience only.
        await using var resourceServer = await ResourceServer.StartAsync(system.Issuer);
        using var whoami = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        whoami.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        var validated = await resourceServer.Client.SendAsync(whoami);
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
        Assert.Equal(jwt.Subject, JsonDocument.Parse(await validated.Content.ReadAsStringAsync()).RootElement.GetProperty("sub").GetString());

        // The sample API behind the edge.
        var created = await _api.SendAsync(HttpMethod.Post, "/api/now/table/incident", new { short_description = "printer on fire" }, token.AccessToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var list = await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token.AccessToken);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains("printer on fire", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task IntrospectionSeesATokenActiveUntilItIsRevokedAndTheApiRefusesItWithinASecond()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode);

        var active = await IntrospectAsync(token, clientId, secret);
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal(clientId, active.GetProperty("client_id").GetString());
        Assert.Equal("useraccount", active.GetProperty("scope").GetString());
        Assert.Equal(clientId, active.GetProperty("sub").GetString());

        var revoke = await _api.PostFormAsync("/oauth/revoke", [new("token", token), new("token_type_hint", "access_token")], clientId, secret);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        var inactive = await IntrospectAsync(token, clientId, secret);
        Assert.Equal("""{"active":false}""", inactive.GetRawText());
        var took = await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing a revoked token at the edge");
        Assert.True(took < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task RevocationIsIdempotentAndUnknownTokensAnswer200()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;

        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", token)], clientId, secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", token)], clientId, secret)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.PostFormAsync("/oauth/revoke", [new("token", "not-a-token-at-all")], clientId, secret)).StatusCode);
    }

    [Fact]
    public async Task AClientRevokesAndIntrospectsOnlyItsOwnTokensUnlessAllowedToIntrospect()
    {
        var (owner, ownerSecret) = await _api.CreateClientAsync(["useraccount"]);
        var (other, otherSecret) = await _api.CreateClientAsync(["useraccount"]);
        var (resourceServer, rsSecret) = await _api.CreateClientAsync(["useraccount"], canIntrospect: true);
        var token = (await _api.ClientCredentialsAsync(owner, ownerSecret)).AccessToken!;

        Assert.False((await IntrospectAsync(token, other, otherSecret)).GetProperty("active").GetBoolean());
        Assert.True((await IntrospectAsync(token, resourceServer, rsSecret)).GetProperty("active").GetBoolean());

        var foreignRevoke = await _api.PostFormAsync("/oauth/revoke", [new("token", token)], other, otherSecret);
        Assert.Equal(HttpStatusCode.BadRequest, foreignRevoke.StatusCode);
        Assert.Equal("unauthorized_client", (await _api.ReadAsync(foreignRevoke)).GetProperty("error").GetString());
        Assert.True((await IntrospectAsync(token, owner, ownerSecret)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task DeactivatingAClientRefusesItsTokensWithinASecond()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode);

        var client = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        var deactivate = JsonSerializer.Deserialize<Dictionary<string, object?>>(client.GetRawText())!;
        deactivate["active"] = false;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", deactivate)).StatusCode);

        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "refusing an inactive client's token");
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.ClientCredentialsAsync(clientId, secret)) == "invalid_client",
            TimeSpan.FromSeconds(1), "refusing an inactive client at the token endpoint");
    }

    [Fact]
    public async Task RotatingTheSecretStopsTheOldOneAndShowsTheNewOneOnce()
    {
        var (clientId, oldSecret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.False((await _api.ClientCredentialsAsync(clientId, oldSecret)).IsError);

        var rotated = await _api.SendAsync(HttpMethod.Post, $"/api/admin/clients/{clientId}/secret");
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = (await _api.ReadAsync(rotated)).GetProperty("clientSecret").GetString()!;

        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.ClientCredentialsAsync(clientId, oldSecret)) == "invalid_client",
            TimeSpan.FromSeconds(1), "refusing the old secret");
        Assert.False((await _api.ClientCredentialsAsync(clientId, newSecret)).IsError);
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.False(read.TryGetProperty("clientSecret", out _));
    }

    private async Task<JsonElement> IntrospectAsync(string token, string clientId, string secret)
    {
        var response = await _api.PostFormAsync("/oauth/introspect", [new("token", token)], clientId, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return await _api.ReadAsync(response);
    }
}
