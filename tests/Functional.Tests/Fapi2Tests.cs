using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 20, the <c>fapi2</c> client profile (aligned with the FAPI 2.0 Security Profile): end to end
/// with PAR, private_key_jwt, PKCE and DPoP, PS256 tokens and refresh tokens that do not rotate; and
/// refused on each rule it breaks, at registration and per request.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class Fapi2Tests(SystemFixture system)
{
    private const string RedirectUri = "https://bank-app.example.test/callback";
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TestApi _api = new(system);
    private readonly ECDsaSecurityKey _clientKey = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "bank-1" };

    private string TokenUrl => system.Issuer + "/oauth/token";

    private object Verifier()
    {
        var p = _clientKey.ECDsa.ExportParameters(false);
        return new
        {
            keys = new[] { new { kid = _clientKey.KeyId, alg = "ES256", jwk = new { kty = "EC", crv = "P-256", x = Base64UrlEncoder.Encode(p.Q.X), y = Base64UrlEncoder.Encode(p.Q.Y) } } },
        };
    }

    private async Task<HttpResponseMessage> RegisterAsync(Action<Dictionary<string, object?>>? change = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["name"] = "FAPI bank app",
            ["profile"] = "fapi2",
            ["grantTypes"] = new[] { "authorization_code", "refresh_token" },
            ["redirectUris"] = new[] { RedirectUri },
            ["scopes"] = new[] { "openid", "useraccount" },
            ["jwtVerifier"] = Verifier(),
        };
        change?.Invoke(body);
        return await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", body);
    }

    private async Task<string> ClientAsync()
    {
        var response = await RegisterAsync();
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        Assert.True(body.GetProperty("requirePushedAuthorizationRequests").GetBoolean());
        Assert.True(body.GetProperty("pkceRequired").GetBoolean());
        Assert.Equal("PS256", body.GetProperty("accessTokenSigningAlg").GetString());
        // No secret: private_key_jwt or mutual TLS only.
        Assert.True(!body.TryGetProperty("clientSecret", out var secret) || secret.ValueKind == JsonValueKind.Null, body.GetRawText());
        return body.GetProperty("clientId").GetString()!;
    }

    private string Assertion(string clientId) => Handler.CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object>
        {
            ["iss"] = clientId, ["sub"] = clientId, ["aud"] = system.Issuer, ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(),
        },
        SigningCredentials = new SigningCredentials(_clientKey, "ES256"),
    });

    private KeyValuePair<string, string>[] Authenticated(string clientId, params KeyValuePair<string, string>[] form) =>
        [new("client_id", clientId), new("client_assertion_type", AssertionType), new("client_assertion", Assertion(clientId)), .. form];

    private async Task<HttpResponseMessage> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> form, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        return await _api.Edge.SendAsync(request);
    }

    private static KeyValuePair<string, string>[] AuthorizationRequest(string verifier, bool withRedirect = true) =>
    [
        new("response_type", "code"), new("scope", "openid useraccount"), new("state", "fapi-state"),
        new("code_challenge", Pkce.ChallengeOf(verifier)), new("code_challenge_method", "S256"),
        .. withRedirect ? new KeyValuePair<string, string>[] { new("redirect_uri", RedirectUri) } : [],
    ];

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body.GetRawText()}");
        return body;
    }

    [Fact]
    public async Task AFapi2ClientWorksEndToEndWithParPrivateKeyJwtPkceAndDpop()
    {
        var clientId = await ClientAsync();
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var dpop = new DpopKey();
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";

        var pushed = await JsonAsync(await PostAsync("/oauth/par", Authenticated(clientId, AuthorizationRequest(verifier)),
            dpop.Proof("POST", system.Issuer + "/oauth/par")), HttpStatusCode.Created);

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync($"/oauth/authorize?client_id={Uri.EscapeDataString(clientId)}&request_uri={Uri.EscapeDataString(pushed.GetProperty("request_uri").GetString()!)}");
        await browser.SignInAsync(userName, password);
        var redirect = FormBrowser.RedirectParameters(browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!, out _);
        Assert.Equal(system.Issuer, redirect["iss"]);

        var tokens = await JsonAsync(await PostAsync("/oauth/token", Authenticated(clientId,
            new("grant_type", "authorization_code"), new("code", redirect["code"]), new("redirect_uri", RedirectUri), new("code_verifier", verifier)),
            dpop.Proof("POST", TokenUrl)), HttpStatusCode.OK);
        Assert.Equal("DPoP", tokens.GetProperty("token_type").GetString());
        var accessToken = new JsonWebToken(tokens.GetProperty("access_token").GetString());
        Assert.Equal("PS256", accessToken.Alg);
        Assert.Equal(dpop.Jkt, accessToken.GetPayloadValue<Dictionary<string, object>>("cnf")["jkt"].ToString());
        Assert.Equal("PS256", new JsonWebToken(tokens.GetProperty("id_token").GetString()).Alg);
        Assert.Equal(sysId, accessToken.Subject);

        // The refresh token does not rotate: none comes back, and the same one works again (a retry must, §5.3.2.1).
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        for (var i = 0; i < 2; i++)
        {
            var refreshed = await JsonAsync(await PostAsync("/oauth/token", Authenticated(clientId,
                new("grant_type", "refresh_token"), new("refresh_token", refreshToken)), dpop.Proof("POST", TokenUrl)), HttpStatusCode.OK);
            Assert.False(refreshed.TryGetProperty("refresh_token", out _));
            Assert.Equal("DPoP", refreshed.GetProperty("token_type").GetString());
        }
    }

    [Fact]
    public async Task APushedSignedRequestCarriesARealBrowserThroughSignInToADpopBoundToken()
    {
        var clientId = await ClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var dpop = new DpopKey();
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";

        // JAR (RFC 9101): the whole request signed by the client, with nbf as the profile wants; pushed (RFC 9126) with its assertion and a DPoP proof.
        var requestObject = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = clientId, ["aud"] = system.Issuer, ["jti"] = Guid.NewGuid().ToString("N"),
                ["nbf"] = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
                ["client_id"] = clientId, ["response_type"] = "code", ["redirect_uri"] = RedirectUri, ["scope"] = "openid useraccount",
                ["state"] = "browser-fapi", ["code_challenge"] = Pkce.ChallengeOf(verifier), ["code_challenge_method"] = "S256",
            },
            TokenType = RequestObject.MediaType,
            SigningCredentials = new SigningCredentials(_clientKey, "ES256"),
        });
        var pushed = await JsonAsync(await PostAsync("/oauth/par", Authenticated(clientId, new KeyValuePair<string, string>("request", requestObject)),
            dpop.Proof("POST", system.Issuer + "/oauth/par")), HttpStatusCode.Created);

        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        string? landedOn = null;
        await page.RouteAsync("https://bank-app.example.test/**", async route =>
        {
            landedOn = route.Request.Url;
            await route.FulfillAsync(new Microsoft.Playwright.RouteFulfillOptions { Status = 200, ContentType = "text/plain", Body = "signed in" });
        });
        await page.GotoAsync($"{system.Issuer}/oauth/authorize?client_id={Uri.EscapeDataString(clientId)}&request_uri={Uri.EscapeDataString(pushed.GetProperty("request_uri").GetString()!)}");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        var allow = page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Allow" });
        await allow.WaitForAsync();
        await allow.ClickAsync();
        await page.WaitForURLAsync("https://bank-app.example.test/**");

        var query = new Uri(landedOn!).Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("browser-fapi", query["state"]);
        Assert.Equal(system.Issuer, query["iss"]);
        var tokens = await JsonAsync(await PostAsync("/oauth/token", Authenticated(clientId,
            new("grant_type", "authorization_code"), new("code", query["code"]), new("redirect_uri", RedirectUri), new("code_verifier", verifier)),
            dpop.Proof("POST", TokenUrl)), HttpStatusCode.OK);
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        Assert.Equal("DPoP", tokens.GetProperty("token_type").GetString());

        // The bound token calls the API with a proof of the same key, as the edge demands.
        using var call = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity");
        call.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("DPoP", accessToken);
        call.Headers.Add("DPoP", dpop.Proof("GET", system.Issuer + "/api/now/identity", accessToken));
        var answer = await _api.Edge.SendAsync(call);
        if (answer.StatusCode == HttpStatusCode.Unauthorized && DpopKey.NonceOf(answer) is { } nonce)
        {
            using var retry = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity");
            retry.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("DPoP", accessToken);
            retry.Headers.Add("DPoP", dpop.Proof("GET", system.Issuer + "/api/now/identity", accessToken, nonce));
            answer = await _api.Edge.SendAsync(retry);
        }

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task WithoutADpopProofAFapi2ClientsTokenIsBoundToItsCertificate()
    {
        var certificate = TestClientCertificates.SelfSigned("CN=fapi2-back-end");
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "FAPI back-end", profile = "fapi2", grantTypes = new[] { "client_credentials" }, scopes = new[] { "useraccount" },
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
        });
        var body = await _api.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, body.GetRawText());
        var clientId = body.GetProperty("clientId").GetString()!;

        using var mtls = system.MtlsClient(certificate);
        var mtlsToken = new Uri(system.App.GetEndpoint("edge", "mtls"), "/oauth/token");
        var response = await mtls.PostAsync(mtlsToken, new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId)]));
        var tokens = await JsonAsync(response, HttpStatusCode.OK);
        var jwt = new JsonWebToken(tokens.GetProperty("access_token").GetString());
        Assert.Equal(Protocol.Mtls.MtlsProtocol.Thumbprint(certificate), jwt.GetPayloadValue<Dictionary<string, object>>("cnf")["x5t#S256"].ToString());
        Assert.Equal("PS256", jwt.Alg);
    }

    [Fact]
    public async Task AFapi2ClientIsRefusedOnEachRuleItBreaksPerRequest()
    {
        // A client registered with a secret, then put under the profile: the secret goes and authenticates nothing.
        var created = await _api.ReadAsync(await RegisterAsync(body => body.Remove("profile")));
        var (clientId, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("clientSecret").GetString()!);
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        var client = JsonSerializer.Deserialize<Dictionary<string, object?>>(
            (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        client["profile"] = "fapi2";
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Post, $"/api/admin/clients/{clientId}/secret")).StatusCode);
        await TestApi.EventuallyAsync(async () => (await _api.PostFormAsync("/oauth/par", AuthorizationRequest(verifier), clientId, secret)).StatusCode
            == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), "the profile reaching the token service");
        var bySecret = await _api.PostFormAsync("/oauth/par", AuthorizationRequest(verifier), clientId, secret);
        Assert.Equal("invalid_client", (await JsonAsync(bySecret, HttpStatusCode.Unauthorized)).GetProperty("error").GetString());

        // Its assertion names the issuer as a string, not an array (FAPI 2.0 §5.3.2.1).
        var arrayAudience = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = clientId, ["sub"] = clientId, ["aud"] = new[] { system.Issuer }, ["jti"] = Guid.NewGuid().ToString("N"),
                ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(),
            },
            SigningCredentials = new SigningCredentials(_clientKey, "ES256"),
        });
        var byArray = await PostAsync("/oauth/par", [.. AuthorizationRequest(verifier), new("client_id", clientId),
            new("client_assertion_type", AssertionType), new("client_assertion", arrayAudience)], null);
        Assert.Equal("invalid_client", (await JsonAsync(byArray, HttpStatusCode.Unauthorized)).GetProperty("error").GetString());

        // The redirect URI travels in the push.
        var noRedirect = await PostAsync("/oauth/par", Authenticated(clientId, AuthorizationRequest(verifier, withRedirect: false)), null);
        Assert.Equal("invalid_request", (await JsonAsync(noRedirect, HttpStatusCode.BadRequest)).GetProperty("error").GetString());

        // DPoP proofs are PS256 or ES256 only.
        var rs256 = await PostAsync("/oauth/par", Authenticated(clientId, AuthorizationRequest(verifier)), new DpopKey("RS256").Proof("POST", system.Issuer + "/oauth/par"));
        Assert.Equal("invalid_dpop_proof", (await JsonAsync(rs256, HttpStatusCode.BadRequest)).GetProperty("error").GetString());

        // A plain request in the browser is refused: pushed only.
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        var plain = await browser.GetAsync($"/oauth/authorize?client_id={clientId}&response_type=code&redirect_uri={Uri.EscapeDataString(RedirectUri)}" +
            $"&scope=openid&state=s&code_challenge={Pkce.ChallengeOf(verifier)}&code_challenge_method=S256");
        Assert.Equal("invalid_request", FormBrowser.RedirectParameters(plain, out _)["error"]);

        // At the token endpoint too: its secret and an RS256 proof are refused.
        var secretAtToken = await _api.PostFormAsync("/oauth/token", [new("grant_type", "refresh_token"), new("refresh_token", "x")], clientId, secret);
        Assert.Equal("invalid_client", (await JsonAsync(secretAtToken, HttpStatusCode.Unauthorized)).GetProperty("error").GetString());
        var rs256AtToken = await PostAsync("/oauth/token", Authenticated(clientId, new("grant_type", "refresh_token"), new("refresh_token", "x")),
            new DpopKey("RS256").Proof("POST", TokenUrl));
        Assert.Equal("invalid_dpop_proof", (await JsonAsync(rs256AtToken, HttpStatusCode.BadRequest)).GetProperty("error").GetString());
        // A proof dated 10 s ahead is accepted (the refusal is then the grant's, not the proof's).
        var ahead = await PostAsync("/oauth/token", Authenticated(clientId, new("grant_type", "refresh_token"), new("refresh_token", "x")),
            new DpopKey().Proof("POST", TokenUrl, issuedAt: DateTimeOffset.UtcNow.AddSeconds(9)));
        Assert.Equal("invalid_grant", (await JsonAsync(ahead, HttpStatusCode.BadRequest)).GetProperty("error").GetString());

        // A save that forgets the profile keeps it.
        var registered = JsonSerializer.Deserialize<Dictionary<string, object?>>((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        registered.Remove("profile");
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", registered)).StatusCode);
        Assert.Equal("fapi2", (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetProperty("profile").GetString());

        // A token without sender constraint is never issued: no DPoP proof and no certificate is refused.
        var unbound = await PostAsync("/oauth/token", Authenticated(clientId,
            new("grant_type", "authorization_code"), new("code", "x"), new("redirect_uri", RedirectUri), new("code_verifier", verifier)), null);
        Assert.Equal("invalid_request", (await JsonAsync(unbound, HttpStatusCode.BadRequest)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("public", "profile")]
    [InlineData("password", "grantTypes")]
    [InlineData("http", "redirectUris")]
    [InlineData("no-keys", "profile")]
    [InlineData("rs256", "jwtVerifier.algorithms")]
    [InlineData("skew", "jwtVerifier.clockSkew")]
    [InlineData("rs256-tokens", "accessTokenSigningAlg")]
    [InlineData("implicit", "grantTypes")]
    [InlineData("small-skew", "jwtVerifier.clockSkew")]
    [InlineData("unknown-profile", "profile")]
    public async Task ARegistrationBreakingTheProfileIsRefusedNamingTheField(string breach, string field)
    {
        var response = await RegisterAsync(body =>
        {
            switch (breach)
            {
                case "public": body["public"] = true; break;
                case "password": body["grantTypes"] = new[] { "authorization_code", "password" }; break;
                case "http": body["redirectUris"] = new[] { "http://127.0.0.1:5000/cb" }; break;
                case "no-keys": body.Remove("jwtVerifier"); break;
                case "rs256": body["jwtVerifier"] = new { jwksUri = "https://bank-app.example.test/jwks", algorithms = new[] { "RS256" } }; break;
                case "skew": body["jwtVerifier"] = new { jwksUri = "https://bank-app.example.test/jwks", clockSkew = 60 }; break;
                case "rs256-tokens": body["accessTokenSigningAlg"] = "RS256"; break;
                case "implicit": body["grantTypes"] = new[] { "authorization_code", "implicit" }; break;
                case "small-skew": body["jwtVerifier"] = new { jwksUri = "https://bank-app.example.test/jwks", clockSkew = 5 }; break;
                case "unknown-profile": body["profile"] = "fapi1"; break;
            }
        });
        var problem = await JsonAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }
}
