using Aspire.Hosting.Testing;
using System.Net;
using System.Net.Http.Headers;

namespace OAuthAspire.Functional.Tests;

/// <summary>RFC 6750 at the edge for the protected APIs.</summary>
[Collection(SystemCollection.Name)]
public sealed class EdgeBearerTests(SystemFixture system)
{
    private const string Api = "/api/now/table/incident";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task NoTokenIs401WithTheBareChallengesOfBothSchemes()
    {
        var response = await system.Edge.GetAsync(Api);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AnotherAuthenticationSchemeCountsAsNoToken()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "YTpi");
        var response = await system.Edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer a b")]
    [InlineData("Bearer not\"b64")]
    public async Task AMalformedAuthorizationHeaderIs400InvalidRequest(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.TryAddWithoutValidation("Authorization", header);
        var response = await system.Edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("error=\"invalid_request\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("invalid_request", (await _api.ReadAsync(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")]
    public async Task AnInvalidTokenIs401InvalidToken(string token)
    {
        var response = await _api.SendAsync(HttpMethod.Get, Api, token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task TheSampleApiReachedDirectlyBelievesOnlyTheTokenNeverForgedIdentityHeadersOrAssertions()
    {
        // The API holds no internal credential, so it cannot tell the edge's requests from others:
        // it validates the token itself and takes the caller's identity from it alone.
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken;
        using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint("table-api", "http") };

        async Task<HttpResponseMessage> IdentityAsync(string? bearer, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity");
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }

            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return await direct.SendAsync(request);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await IdentityAsync(null, ("X-OAuthAspire-Subject", "admin"), ("X-OAuthAspire-Client", "admin"))).StatusCode);
        var forged = await IdentityAsync(token, ("X-OAuthAspire-Subject", "admin"), ("X-OAuthAspire-User", "admin"),
            ("X-OAuthAspire-Client", "someone-else"), ("X-OAuthAspire-Roles", "admin"), ("X-OAuthAspire-Trust", "any"));
        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        var identity = await _api.ReadAsync(forged);
        Assert.Equal(clientId, identity.GetProperty("clientId").GetString());
        Assert.Equal(clientId, identity.GetProperty("subject").GetString());
        Assert.Empty(identity.GetProperty("roles").EnumerateArray());

        // An identity assertion the edge did not sign is refused, whatever token comes with it.
        var assertion = InternalCalls.Mint(InternalCalls.NewKey(), "edge", system.Issuer + "/api", type: "oauthaspire-identity+jwt");
        Assert.Equal(HttpStatusCode.Unauthorized, (await IdentityAsync(token, ("X-OAuthAspire-Assertion", assertion))).StatusCode);
    }
}
