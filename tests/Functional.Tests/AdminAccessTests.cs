using Aspire.Hosting.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>Admin APIs need our token with admin.api AND an administrator role; the edge enforces it.</summary>
[Collection(SystemCollection.Name)]
public sealed class AdminAccessTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Theory]
    [InlineData("/api/admin/clients")]
    [InlineData("/api/admin/users")]
    [InlineData("/api/admin/keys")]
    public async Task WithoutATokenTheAdminApiAnswers401WithABareBearerChallenge(string path)
    {
        var response = await _api.SendAsync(HttpMethod.Get, path, anonymous: true);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnAdminRoleWithoutTheAdminScopeIs403()
    {
        // Runs as the administrator, but the token lacks admin.api.
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], applicationUser: "admin");
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken;

        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("insufficient_scope", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task TheAdminScopeWithoutAnAdminRoleIs403()
    {
        var user = await _api.CreateUserAsync(TestApi.Unique("helpdesk"), ["itil"]);
        var (clientId, secret) = await _api.CreateClientAsync(["admin.api"], applicationUser: user.GetProperty("userName").GetString());
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken;

        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/users", token: token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task AnInvalidTokenIs401WithInvalidToken()
    {
        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AnUnknownAdminPathIs404AndNeverReachesTheSampleApi()
    {
        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AServiceReachedDirectlyRefusesAdminCallsEvenWithForgedIdentityHeaders()
    {
        using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint("client-registry", "http") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/clients");
        request.Headers.Add("X-OAuthAspire-Subject", "attacker");
        request.Headers.Add("X-OAuthAspire-Client", "attacker");
        request.Headers.Add("X-OAuthAspire-Scopes", "admin.api");
        request.Headers.Add("X-OAuthAspire-Roles", "admin");

        var response = await direct.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ForgedIdentityHeadersSentToTheEdgeAreStripped()
    {
        // A valid token whose identity leaves some headers unset (no user, no trust): only the
        // stripping keeps the caller's forged ones from reaching the API.
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-OAuthAspire-User", "admin");
        request.Headers.Add("X-OAuthAspire-Trust", "forged-idp");
        request.Headers.Add("x-oauthaspire-anything", "forged");

        var response = await system.Edge.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var identity = await _api.ReadAsync(response);
        Assert.False(identity.TryGetProperty("userName", out var user) && user.ValueKind != JsonValueKind.Null, "no user name but the token's");
        Assert.Equal(clientId, identity.GetProperty("clientId").GetString());
        Assert.DoesNotContain("forged", identity.GetProperty("headers").GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"admin\"", identity.GetProperty("headers").GetRawText(), StringComparison.Ordinal);
    }
}
