using System.Net;
using System.Text.Json;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 20, resource indicators (RFC 8707) and protected resource metadata (RFC 9728) through the
/// edge: each token has one API as its audience with its scopes narrowed to that API's, the edge
/// refuses it at any other API, a grant names its APIs once and each token picks one of them, and
/// an API's 401 names the metadata that says where to get a token for it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ResourceIndicatorTests(SystemFixture system)
{
    private const string RedirectUri = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private string ResourceOf(ProtectedTable table) => system.Issuer + table.Path;

    private static JsonWebToken Jwt(TokenResponse response)
    {
        Assert.False(response.IsError, $"{response.Error}: {response.ErrorDescription}");
        return new JsonWebToken(response.AccessToken);
    }

    private Task<TokenResponse> ClientCredentialsAsync(string clientId, string secret, params string[] resources)
    {
        var request = new ClientCredentialsTokenRequest { Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret };
        foreach (var resource in resources)
        {
            request.Resource.Add(resource);
        }

        return _api.Edge.RequestClientCredentialsTokenAsync(request);
    }

    private async Task<HttpResponseMessage> CallAsync(string path, string token) => await _api.SendAsync(HttpMethod.Get, path, token: token);

    [Fact]
    public async Task ATokenForOneApiIsGoodOnlyThereWithItsScopesNarrowed()
    {
        var orders = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var billing = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var legacy = await _api.ProtectedTableAsync(acceptDefaultAudience: true);
        var (clientId, secret) = await _api.CreateClientAsync([orders.Read, billing.Read, legacy.Read]);

        var forOrders = await ClientCredentialsAsync(clientId, secret, ResourceOf(orders));
        var jwt = Jwt(forOrders);
        Assert.Equal([ResourceOf(orders)], jwt.Audiences);
        Assert.Equal(orders.Read, jwt.GetClaim("scope").Value);
        Assert.Equal(orders.Read, forOrders.Scope);

        var good = await CallAsync(orders.Path, forOrders.AccessToken!);
        Assert.True(good.StatusCode == HttpStatusCode.OK, $"{good.StatusCode}: {await good.Content.ReadAsStringAsync()}");
        // Another API, one that still takes default-audience tokens, and an API without a policy all refuse it.
        foreach (var elsewhere in (string[])[billing.Path, legacy.Path, $"/api/now/table/open_{Guid.NewGuid():N}"[..40]])
        {
            var refused = await CallAsync(elsewhere, forOrders.AccessToken!);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("invalid_token", (await _api.ReadAsync(refused)).GetProperty("error").GetString());
        }

        // A token without a resource has the default audience: refused where the policy no longer takes it, good where it does.
        var plain = await ClientCredentialsAsync(clientId, secret);
        Assert.Equal([system.Issuer + "/api"], Jwt(plain).Audiences);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(orders.Path, plain.AccessToken!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(legacy.Path, plain.AccessToken!)).StatusCode);

        // Introspection knows a resource's token, with its audience.
        var introspected = await _api.PostFormAsync("/oauth/introspect", [new("token", forOrders.AccessToken!)], clientId, secret);
        var active = await _api.ReadAsync(introspected);
        Assert.True(active.GetProperty("active").GetBoolean(), active.GetRawText());
        Assert.Equal(ResourceOf(orders), active.GetProperty("aud").GetString());
    }

    [Fact]
    public async Task AnUnknownForbiddenOrSecondResourceIsInvalidTarget()
    {
        var orders = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var billing = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var (clientId, secret) = await _api.CreateClientAsync([orders.Read, billing.Read]);

        async Task<string?> ErrorAsync(TokenResponse response)
        {
            Assert.True(response.IsError);
            Assert.Equal(HttpStatusCode.BadRequest, response.HttpStatusCode);
            return await Task.FromResult(response.Error);
        }

        Assert.Equal("invalid_target", await ErrorAsync(await ClientCredentialsAsync(clientId, secret, system.Issuer + "/api/now/table/nothing_here")));
        Assert.Equal("invalid_target", await ErrorAsync(await ClientCredentialsAsync(clientId, secret, "https://api.example.com/x#fragment")));
        Assert.Equal("invalid_target", await ErrorAsync(await ClientCredentialsAsync(clientId, secret, ResourceOf(orders), ResourceOf(billing))));

        // A client limited to some APIs gets tokens for those only.
        var client = JsonSerializer.Deserialize<Dictionary<string, object?>>(
            (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        client["allowedResources"] = new[] { ResourceOf(billing) };
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client)).StatusCode);
        await TestApi.EventuallyAsync(async () => (await ClientCredentialsAsync(clientId, secret, ResourceOf(orders))).Error == "invalid_target",
            TimeSpan.FromSeconds(5), "the client's new allowed resources");
        Assert.Equal([ResourceOf(billing)], Jwt(await ClientCredentialsAsync(clientId, secret, ResourceOf(billing))).Audiences);
        // Limited to one API, the client needs not name it, and never gets the default audience (which every old API takes).
        Assert.Equal([ResourceOf(billing)], Jwt(await ClientCredentialsAsync(clientId, secret)).Audiences);

        // The registry refuses a resource that is no absolute URI.
        client["allowedResources"] = new[] { "/api/relative" };
        var refused = await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await _api.ReadAsync(refused)).GetProperty("errors").TryGetProperty("allowedResources", out _));
    }

    [Fact]
    public async Task AGrantNamesItsApisOnceAndEachTokenAndRefreshPicksOneOfThem()
    {
        var orders = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var billing = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var other = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Resource indicators web app",
            grantTypes = new[] { "authorization_code", "refresh_token" },
            redirectUris = new[] { RedirectUri },
            scopes = new[] { "openid", orders.Read, billing.Read, other.Read },
        });
        var body = await _api.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, body.GetRawText());
        var (clientId, secret) = (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
        var (userName, _, password) = await _api.CreateSignInUserAsync();

        // Two APIs, pushed (RFC 9126): both kept with the request.
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        var push = await _api.PostFormAsync("/oauth/par",
        [
            new("response_type", "code"), new("redirect_uri", RedirectUri), new("scope", $"openid {orders.Read} {billing.Read}"), new("state", "s"),
            new("code_challenge", Pkce.ChallengeOf(verifier)), new("code_challenge_method", "S256"),
            new("resource", ResourceOf(orders)), new("resource", ResourceOf(billing)),
        ], clientId, secret);
        var pushed = await _api.ReadAsync(push);
        Assert.True(push.StatusCode == HttpStatusCode.Created, pushed.GetRawText());

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync($"/oauth/authorize?client_id={Uri.EscapeDataString(clientId)}&request_uri={Uri.EscapeDataString(pushed.GetProperty("request_uri").GetString()!)}");
        await browser.SignInAsync(userName, password);
        var redirect = FormBrowser.RedirectParameters(browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!, out _);
        var code = redirect["code"];

        Task<TokenResponse> RedeemAsync(params string[] resources)
        {
            var request = new AuthorizationCodeTokenRequest
            {
                Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret, Code = code, RedirectUri = RedirectUri, CodeVerifier = verifier,
            };
            foreach (var resource in resources)
            {
                request.Resource.Add(resource);
            }

            return _api.Edge.RequestAuthorizationCodeTokenAsync(request);
        }

        // Two APIs granted: the token request must name one, and one of those (the code stays unspent meanwhile).
        Assert.Equal("invalid_target", (await RedeemAsync()).Error);
        Assert.Equal("invalid_target", (await RedeemAsync(ResourceOf(other))).Error);
        var tokens = await RedeemAsync(ResourceOf(orders));
        var jwt = Jwt(tokens);
        Assert.Equal([ResourceOf(orders)], jwt.Audiences);
        // Narrowed to the API's scopes: openid stays with the ID token, so the API cannot read userinfo with its token.
        Assert.Equal(orders.Read, jwt.GetClaim("scope").Value);
        Assert.NotNull(tokens.IdentityToken);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(orders.Path, tokens.AccessToken!)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(billing.Path, tokens.AccessToken!)).StatusCode);

        Task<TokenResponse> RefreshAsync(string refreshToken, string resource)
        {
            var request = new RefreshTokenRequest { Address = _api.TokenEndpoint, ClientId = clientId, ClientSecret = secret, RefreshToken = refreshToken };
            request.Resource.Add(resource);
            return _api.Edge.RequestRefreshTokenAsync(request);
        }

        // A refresh may switch to the other granted API, never to one beyond the grant.
        Assert.Equal("invalid_target", (await RefreshAsync(tokens.RefreshToken!, ResourceOf(other))).Error);
        var refreshed = await RefreshAsync(tokens.RefreshToken!, ResourceOf(billing));
        Assert.Equal([ResourceOf(billing)], Jwt(refreshed).Audiences);
        Assert.Equal(billing.Read, refreshed.Scope);
        var userinfo = await _api.SendAsync(HttpMethod.Get, "/oauth/userinfo", token: refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, userinfo.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(billing.Path, refreshed.AccessToken!)).StatusCode);
    }

    [Fact]
    public async Task AnApisMetadataSaysWhereToGetATokenAndItsRefusalsPointThere()
    {
        var orders = await _api.ProtectedTableAsync(acceptDefaultAudience: false);
        var metadataUrl = system.Issuer + "/.well-known/oauth-protected-resource" + orders.Path;

        var missing = await _api.SendAsync(HttpMethod.Get, orders.Path, anonymous: true);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains($"resource_metadata=\"{metadataUrl}\"", missing.Headers.WwwAuthenticate.ToString());

        var metadata = await _api.Edge.GetAsync(metadataUrl);
        var document = await _api.ReadAsync(metadata);
        Assert.True(metadata.StatusCode == HttpStatusCode.OK, document.GetRawText());
        Assert.Equal(ResourceOf(orders), document.GetProperty("resource").GetString());
        Assert.Equal([system.Issuer], document.GetProperty("authorization_servers").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(new[] { orders.Read, orders.Write }.Order(StringComparer.Ordinal), document.GetProperty("scopes_supported").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["header"], document.GetProperty("bearer_methods_supported").EnumerateArray().Select(s => s.GetString()));

        Assert.Equal(HttpStatusCode.NotFound, (await _api.Edge.GetAsync(system.Issuer + "/.well-known/oauth-protected-resource/api/now/table/nothing_here")).StatusCode);

        // The policy shows its resource identifier; a second policy cannot take it, nor name the default audience.
        var policy = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/api-policies/{orders.Name}"));
        Assert.Equal(ResourceOf(orders), policy.GetProperty("resource").GetString());
        Assert.False(policy.GetProperty("acceptDefaultAudience").GetBoolean());
        var scope = await _api.CreateScopeAsync("dup");
        object Policy(string resource)
        {
            var basePath = $"/api/x/{Guid.NewGuid():N}";
            return new
            {
                name = $"dup_{Guid.NewGuid():N}"[..12],
                basePath,
                resource,
                rules = new[] { new { methods = Array.Empty<string>(), resource = basePath + "/**", scopes = new[] { scope } } },
            };
        }
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", Policy(ResourceOf(orders)))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", Policy(system.Issuer + "/api"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", Policy("not-a-uri"))).StatusCode);
    }
}
