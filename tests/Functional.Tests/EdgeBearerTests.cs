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
    public async Task NoTokenIs401WithABareBearerChallenge()
    {
        var response = await system.Edge.GetAsync(Api);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AnotherAuthenticationSchemeCountsAsNoToken()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "YTpi");
        var response = await system.Edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
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
    public async Task TheSampleApiIsNotReachableExceptThroughTheEdge()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken;
        using var direct = new HttpClient { BaseAddress = system.App.GetEndpoint("table-api", "http") };
        using var request = new HttpRequestMessage(HttpMethod.Get, Api);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.Forbidden, (await direct.SendAsync(request)).StatusCode);
    }
}
