using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace OAuthAspire.Functional.Tests;

/// <summary>Each refusal at the token endpoint: exact status, RFC 6749 §5.2 error and challenge.</summary>
[Collection(SystemCollection.Name)]
public sealed class TokenEndpointErrorTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private async Task<(HttpResponseMessage Response, string Error)> PostAsync(HttpRequestMessage request)
    {
        var response = await system.Edge.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return (response, System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!);
    }

    private static HttpRequestMessage Form(params (string Key, string Value)[] form) =>
        new(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))) };

    [Fact]
    public async Task AWrongSecretIsInvalidClientWith401AndABasicChallenge()
    {
        var (clientId, _) = await _api.CreateClientAsync(["useraccount"]);
        var request = Form(("grant_type", "client_credentials"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, "wrong"));

        var (response, error) = await PostAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", error);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task AnUnknownClientIsInvalidClient()
    {
        var (response, error) = await PostAsync(Form(("grant_type", "client_credentials"), ("client_id", "no-such-client-1234"), ("client_secret", "x")));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", error);
    }

    [Fact]
    public async Task NoClientAuthenticationIsInvalidClient()
    {
        var (response, error) = await PostAsync(Form(("grant_type", "client_credentials")));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", error);
    }

    [Fact]
    public async Task ClientSecretPostWorksAsWellAsBasic()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var response = await system.Edge.SendAsync(Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Contains("no-cache", response.Headers.Pragma.ToString());
    }

    [Fact]
    public async Task BasicAndPostTogetherIsAnInvalidRequest()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var request = Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, secret));

        var (response, error) = await PostAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", error);
    }

    [Fact]
    public async Task AMissingGrantTypeIsAnInvalidRequest()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (response, error) = await PostAsync(Form(("client_id", clientId), ("client_secret", secret)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", error);
    }

    [Fact]
    public async Task AnUnknownGrantTypeIsUnsupported()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (response, error) = await PostAsync(Form(("grant_type", "urn:example:magic"), ("client_id", clientId), ("client_secret", secret)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", error);
    }

    [Fact]
    public async Task AGrantTheClientIsNotAllowedIsUnauthorizedClient()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password"]);
        var (response, error) = await PostAsync(Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unauthorized_client", error);
    }

    [Theory]
    [InlineData("admin.api")]
    [InlineData("useraccount no.such.scope")]
    [InlineData("bad\"scope")]
    public async Task AScopeNotAllowedOrMalformedIsInvalidScope(string scope)
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (response, error) = await PostAsync(Form(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("scope", scope)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", error);
    }

    [Fact]
    public async Task NoScopeRequestedGivesTheDefaultScopes()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount", "profile"], defaultScopes: ["profile"]);
        Assert.Equal("profile", (await _api.ClientCredentialsAsync(clientId, secret)).Scope);
        Assert.Equal("profile useraccount", (await _api.ClientCredentialsAsync(clientId, secret, "useraccount profile")).Scope);
    }

    [Fact]
    public async Task AJsonBodyIsAnInvalidRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json"),
        };
        var (response, error) = await PostAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", error);
    }

    [Fact]
    public async Task ARepeatedParameterIsAnInvalidRequest()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (response, error) = await PostAsync(Form(("grant_type", "client_credentials"), ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", error);
    }

    [Fact]
    public async Task TheServiceNowAliasServesTheSameEndpoint()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var response = await system.Edge.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/oauth_token.do")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)]),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MalformedFormEncodingNeverYieldsA500()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new StringContent("grant_type=%ZZ&&&=%%%", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        var response = await system.Edge.SendAsync(request);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"got {(int)response.StatusCode}");
    }
}
