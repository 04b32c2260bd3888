using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 19, DPoP (RFC 9449) through the edge: tokens bound to the client's key at the token
/// endpoint for every grant, proofs checked at the edge for the APIs and at userinfo, and each
/// refusal the RFC names (replay, another URL or method, another key, a bound token as Bearer, nonces).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DpopTests(SystemFixture system)
{
    private const string Api = "/api/now/identity";
    private const string RedirectUri = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private string TokenUrl => system.Issuer + "/oauth/token";

    private string ApiUrl => system.Issuer + Api;

    private async Task<HttpResponseMessage> TokenAsync(IEnumerable<KeyValuePair<string, string>> form, string? clientId, string? secret, params string[] proofs)
    {
        using var request = TestApi.FormRequest("/oauth/token", form, clientId, secret);
        foreach (var proof in proofs)
        {
            request.Headers.Add("DPoP", proof);
        }

        return await system.Edge.SendAsync(request);
    }

    private Task<HttpResponseMessage> ClientCredentialsAsync(string clientId, string secret, params string[] proofs) =>
        TokenAsync([new("grant_type", "client_credentials")], clientId, secret, proofs);

    private async Task<JsonElement> IssuedAsync(HttpResponseMessage response)
    {
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        return body;
    }

    private async Task<(string Error, string? Description)> RefusedAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body.GetRawText()}");
        return (body.GetProperty("error").GetString()!, body.TryGetProperty("error_description", out var d) ? d.GetString() : null);
    }

    private async Task<(string ClientId, string Secret)> ClientAsync(bool bound = false, bool nonce = false)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "DPoP back-end",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            dpopBoundAccessTokens = bound,
            dpopNonceRequired = nonce,
        });
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        Assert.Equal(bound, body.GetProperty("dpopBoundAccessTokens").GetBoolean());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>A bound client-credentials token and the key it is bound to.</summary>
    private async Task<(string Token, DpopKey Key)> BoundTokenAsync()
    {
        var key = new DpopKey();
        var (clientId, secret) = await ClientAsync();
        var body = await IssuedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl)));
        return (body.GetProperty("access_token").GetString()!, key);
    }

    /// <summary>Calls the API with a bound token as an integrator's library does: on use_dpop_nonce, once more with the nonce offered.</summary>
    private async Task<HttpResponseMessage> CallApiAsync(string token, DpopKey key, string? nonce = null)
    {
        using var first = key.Request(HttpMethod.Get, ApiUrl, token, nonce);
        var response = await system.Edge.SendAsync(first);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !response.Headers.WwwAuthenticate.ToString().Contains("use_dpop_nonce", StringComparison.Ordinal))
        {
            return response;
        }

        using var second = key.Request(HttpMethod.Get, ApiUrl, token, DpopKey.NonceOf(response));
        return await system.Edge.SendAsync(second);
    }

    private static string Challenge(HttpResponseMessage response) => response.Headers.WwwAuthenticate.ToString();

    [Fact]
    public async Task AProofBindsTheClientCredentialsTokenToTheKeyAndIntrospectionShowsTheBinding()
    {
        var key = new DpopKey();
        var (clientId, secret) = await ClientAsync();
        var body = await IssuedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl)));

        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal(key.Jkt, new JsonWebToken(token).GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString());

        var (inspector, inspectorSecret) = await _api.CreateClientAsync(["useraccount"], canIntrospect: true);
        var introspection = await _api.ReadAsync(await _api.PostFormAsync("/oauth/introspect", [new("token", token)], inspector, inspectorSecret));
        Assert.True(introspection.GetProperty("active").GetBoolean());
        Assert.Equal("DPoP", introspection.GetProperty("token_type").GetString());
        Assert.Equal(key.Jkt, introspection.GetProperty("cnf").GetProperty("jkt").GetString());

        // Without a proof the same client still gets a bearer token, without cnf.
        var bearer = await IssuedAsync(await ClientCredentialsAsync(clientId, secret));
        Assert.Equal("Bearer", bearer.GetProperty("token_type").GetString());
        Assert.False(new JsonWebToken(bearer.GetProperty("access_token").GetString()).TryGetPayloadValue<JsonElement>("cnf", out _));
    }

    [Fact]
    public async Task TheTokenEndpointRefusesAReplayedProofAndProofsForAnotherUrlOrMethodOrTooOld()
    {
        var key = new DpopKey();
        var (clientId, secret) = await ClientAsync();
        var proof = key.Proof("POST", TokenUrl);
        await IssuedAsync(await ClientCredentialsAsync(clientId, secret, proof));

        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, proof))).Error);
        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", system.Issuer + "/oauth/introspect")))).Error);
        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("GET", TokenUrl)))).Error);
        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret,
            key.Proof("POST", TokenUrl, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-10))))).Error);
        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl), key.Proof("POST", TokenUrl)))).Error);
        Assert.Equal("invalid_dpop_proof", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, "not.a.proof"))).Error);

        // htu is compared without query and fragment (§4.3), and the ServiceNow alias is the same endpoint.
        await IssuedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl + "?x=1#f")));
        await IssuedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", system.Issuer + "/oauth_token.do")));
    }

    [Fact]
    public async Task AClientRegisteredForBoundTokensGetsNoBearerToken()
    {
        var (clientId, secret) = await ClientAsync(bound: true);
        var (error, description) = await RefusedAsync(await ClientCredentialsAsync(clientId, secret));
        Assert.Equal("invalid_dpop_proof", error);
        Assert.Contains("DPoP", description);
        Assert.Equal("DPoP", (await IssuedAsync(await ClientCredentialsAsync(clientId, secret, new DpopKey().Proof("POST", TokenUrl))))
            .GetProperty("token_type").GetString());
    }

    [Fact]
    public async Task AClientAskedForNoncesMustEchoTheServersNonce()
    {
        var key = new DpopKey();
        var (clientId, secret) = await ClientAsync(nonce: true);
        var first = await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl));
        Assert.Equal("use_dpop_nonce", (await RefusedAsync(first)).Error);
        var nonce = DpopKey.NonceOf(first);
        Assert.False(string.IsNullOrEmpty(nonce));

        Assert.Equal("use_dpop_nonce", (await RefusedAsync(await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl, nonce: "made-up")))).Error);
        var issued = await ClientCredentialsAsync(clientId, secret, key.Proof("POST", TokenUrl, nonce: nonce));
        Assert.Equal("DPoP", (await IssuedAsync(issued)).GetProperty("token_type").GetString());
        Assert.NotNull(DpopKey.NonceOf(issued));
    }

    [Fact]
    public async Task TheEdgeLetsABoundTokenThroughOnlyWithAFreshProofByItsKeyAndTellsTheApi()
    {
        var (token, key) = await BoundTokenAsync();

        // The first call has no nonce: the edge asks for one (§9), then the call goes through.
        using var noNonce = key.Request(HttpMethod.Get, ApiUrl, token);
        var asked = await system.Edge.SendAsync(noNonce);
        Assert.Equal(HttpStatusCode.Unauthorized, asked.StatusCode);
        Assert.StartsWith("DPoP error=\"use_dpop_nonce\"", Challenge(asked));
        var nonce = DpopKey.NonceOf(asked);
        Assert.NotNull(nonce);

        using var proven = key.Request(HttpMethod.Get, ApiUrl, token, nonce);
        var response = await system.Edge.SendAsync(proven);
        var identity = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, identity.GetRawText());
        Assert.Equal("dpop", identity.GetProperty("tokenBinding").GetString());
        Assert.Equal("dpop", identity.GetProperty("headers").EnumerateObject()
            .Single(h => h.Name.Equals("X-OAuthAspire-Token-Binding", StringComparison.OrdinalIgnoreCase)).Value.GetString());

        // The same proof again is a replay.
        using var replay = new HttpRequestMessage(HttpMethod.Get, Api);
        replay.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        replay.Headers.Add("DPoP", proven.Headers.GetValues("DPoP").Single());
        var replayed = await system.Edge.SendAsync(replay);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_dpop_proof\"", Challenge(replayed));
        Assert.Equal("invalid_dpop_proof", (await _api.ReadAsync(replayed)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AStolenBoundTokenIsWorthlessBearerOrWithAnotherKeysProofOrForAnotherCall()
    {
        var (token, key) = await BoundTokenAsync();
        var nonce = DpopKey.NonceOf(await CallApiAsync(token, key));

        var asBearer = await _api.SendAsync(HttpMethod.Get, Api, token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, asBearer.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_token\"", Challenge(asBearer));

        var thief = new DpopKey();
        using var stolen = thief.Request(HttpMethod.Get, ApiUrl, token, nonce);
        var withThiefsKey = await system.Edge.SendAsync(stolen);
        Assert.Equal(HttpStatusCode.Unauthorized, withThiefsKey.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_dpop_proof\"", Challenge(withThiefsKey));

        // A proof of the right key for another URL, another method, or another token.
        foreach (var (method, url, ath) in new[] { ("GET", system.Issuer + "/api/now/table/incident", token), ("POST", ApiUrl, token), ("GET", ApiUrl, "other-token") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Api);
            request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
            request.Headers.Add("DPoP", key.Proof(method, url, ath, nonce));
            var response = await system.Edge.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.StartsWith("DPoP error=\"invalid_dpop_proof\"", Challenge(response));
        }

        // And straight to the API, past the edge, as Bearer: refused there too.
        using var direct = new HttpClient { BaseAddress = Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetEndpoint(system.App, "table-api", "http") };
        using var directRequest = new HttpRequestMessage(HttpMethod.Get, Api);
        directRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await direct.SendAsync(directRequest)).StatusCode);
    }

    [Fact]
    public async Task TheEdgesStatementOfADpopCheckedCallOpensNoOtherCallAtTheApi()
    {
        // Whoever sees the edge's assertion of a checked call (an API behind the edge, say) holds
        // the edge's signature; the API takes it for that method and path only.
        var edgeKey = await system.ParameterAsync("service-key-edge");
        string Assertion(string method, string path) => InternalCalls.Mint(edgeKey, "edge", system.Issuer + "/api", type: "oauthaspire-identity+jwt",
            claims: new Dictionary<string, object>
            {
                ["sub"] = "someone", ["client_id"] = "some-client", ["scope"] = "useraccount", ["token_binding"] = "dpop", ["htm"] = method, ["htu"] = path,
            });
        using var direct = new HttpClient { BaseAddress = Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetEndpoint(system.App, "table-api", "http") };
        async Task<HttpResponseMessage> IdentityAsync(string assertion)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Api);
            request.Headers.Add("X-OAuthAspire-Assertion", assertion);
            return await direct.SendAsync(request);
        }

        var forThisCall = await IdentityAsync(Assertion("GET", Api));
        Assert.Equal(HttpStatusCode.OK, forThisCall.StatusCode);
        Assert.Equal("dpop", (await _api.ReadAsync(forThisCall)).GetProperty("tokenBinding").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await IdentityAsync(Assertion("GET", "/api/now/table/incident"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await IdentityAsync(Assertion("POST", Api))).StatusCode);
    }

    [Fact]
    public async Task AnUnboundTokenIsRefusedWithTheDpopSchemeAndANoTokenCallHearsOfBothSchemes()
    {
        var token = await _api.TokenAsync(["useraccount"]);
        using var request = new DpopKey().Request(HttpMethod.Get, ApiUrl, token);
        var response = await system.Edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_token\"", Challenge(response));

        var none = await system.Edge.GetAsync(Api);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("Bearer", Challenge(none));
        Assert.Contains("DPoP algs=\"", Challenge(none));
    }

    [Fact]
    public async Task APublicClientsRefreshTokenIsBoundToItsKeyAndItsCodeToDpopJkt()
    {
        var key = new DpopKey();
        var (clientId, _) = await _api.CreateWebClientAsync([RedirectUri], ["openid", "useraccount"], isPublic: true,
            grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();

        // dpop_jkt pins the code to the key (§10): no proof, or another key's, cannot redeem it.
        var (code, verifier) = await _api.AuthorizationCodeAsync(clientId, userName, password, "openid useraccount", RedirectUri, $"&dpop_jkt={key.Jkt}");
        KeyValuePair<string, string>[] redeem = [new("grant_type", "authorization_code"), new("code", code), new("code_verifier", verifier),
            new("redirect_uri", RedirectUri), new("client_id", clientId)];
        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(redeem, null, null))).Error);
        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(redeem, null, null, new DpopKey().Proof("POST", TokenUrl)))).Error);
        var tokens = await IssuedAsync(await TokenAsync(redeem, null, null, key.Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", tokens.GetProperty("token_type").GetString());
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        KeyValuePair<string, string>[] refresh = [new("grant_type", "refresh_token"), new("refresh_token", refreshToken), new("client_id", clientId)];
        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(refresh, null, null))).Error);
        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(refresh, null, null, new DpopKey().Proof("POST", TokenUrl)))).Error);
        var refreshed = await IssuedAsync(await TokenAsync(refresh, null, null, key.Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", refreshed.GetProperty("token_type").GetString());

        // The bound token at userinfo: only with the DPoP scheme and a proof.
        var accessToken = refreshed.GetProperty("access_token").GetString()!;
        using var userInfo = key.Request(HttpMethod.Get, system.Issuer + "/oauth/userinfo", accessToken);
        var claims = await system.Edge.SendAsync(userInfo);
        Assert.True(claims.StatusCode == HttpStatusCode.OK, Challenge(claims));
        using var replayedUserInfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        replayedUserInfo.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
        replayedUserInfo.Headers.Add("DPoP", userInfo.Headers.GetValues("DPoP").Single());
        var replayed = await system.Edge.SendAsync(replayedUserInfo);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_dpop_proof\"", Challenge(replayed));
        using var thiefsUserInfo = new DpopKey().Request(HttpMethod.Get, system.Issuer + "/oauth/userinfo", accessToken);
        Assert.StartsWith("DPoP error=\"invalid_dpop_proof\"", Challenge(await system.Edge.SendAsync(thiefsUserInfo)));
        using var asBearer = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        asBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var refused = await system.Edge.SendAsync(asBearer);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("DPoP error=\"invalid_token\"", Challenge(refused));
    }

    [Fact]
    public async Task APublicClientsFamilyBegunWithoutAProofIsBoundByTheFirstRefreshThatBringsOne()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([RedirectUri], ["useraccount"], isPublic: true, grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (code, verifier) = await _api.AuthorizationCodeAsync(clientId, userName, password, "useraccount", RedirectUri);
        var bearer = await IssuedAsync(await TokenAsync([new("grant_type", "authorization_code"), new("code", code), new("code_verifier", verifier),
            new("redirect_uri", RedirectUri), new("client_id", clientId)], null, null));
        Assert.Equal("Bearer", bearer.GetProperty("token_type").GetString());

        KeyValuePair<string, string>[] Refresh(JsonElement tokens) =>
            [new("grant_type", "refresh_token"), new("refresh_token", tokens.GetProperty("refresh_token").GetString()!), new("client_id", clientId)];
        var key = new DpopKey();
        var bound = await IssuedAsync(await TokenAsync(Refresh(bearer), null, null, key.Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", bound.GetProperty("token_type").GetString());

        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(Refresh(bound), null, null))).Error);
        Assert.Equal("invalid_grant", (await RefusedAsync(await TokenAsync(Refresh(bound), null, null, new DpopKey().Proof("POST", TokenUrl)))).Error);
        await IssuedAsync(await TokenAsync(Refresh(bound), null, null, key.Proof("POST", TokenUrl)));
    }

    [Fact]
    public async Task AConfidentialClientsRefreshTokenIsNotBoundButItsNewAccessTokenIs()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password", "refresh_token"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var key = new DpopKey();
        var tokens = await IssuedAsync(await TokenAsync([new("grant_type", "password"), new("username", userName), new("password", password)],
            clientId, secret, key.Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", tokens.GetProperty("token_type").GetString());

        var refreshed = await IssuedAsync(await TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", tokens.GetProperty("refresh_token").GetString()!)],
            clientId, secret, new DpopKey().Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", refreshed.GetProperty("token_type").GetString());
        var bearer = await IssuedAsync(await TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", refreshed.GetProperty("refresh_token").GetString()!)],
            clientId, secret));
        Assert.Equal("Bearer", bearer.GetProperty("token_type").GetString());
    }

    [Fact]
    public async Task TheJwtBearerGrantBindsItsTokenToo()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "DPoP signing integration",
            grantTypes = new[] { "urn:ietf:params:oauth:grant-type:jwt-bearer" },
            scopes = new[] { "useraccount" },
            jwtVerifier = new { jwksUri = keys.JwksUri, jwksCacheLifespan = 60 },
        });
        var client = await _api.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, client.GetRawText());
        var clientId = client.GetProperty("clientId").GetString()!;
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        var key = new DpopKey(Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSsaPssSha256);

        var body = await IssuedAsync(await TokenAsync(
            [new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), new("assertion", keys.Sign(TestKeyServer.Claims(clientId, userName, _api.TokenEndpoint)))],
            clientId, client.GetProperty("clientSecret").GetString(), key.Proof("POST", TokenUrl)));
        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        Assert.Equal(key.Jkt, new JsonWebToken(body.GetProperty("access_token").GetString()).GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task TheMetadataAdvertisesTheProofAlgorithms()
    {
        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/oauth-authorization-server"));
        var algorithms = metadata.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToArray();
        Assert.Contains("ES256", algorithms);
        Assert.Contains("RS256", algorithms);
        Assert.Contains("PS256", algorithms);
    }
}
