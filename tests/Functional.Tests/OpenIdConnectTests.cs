using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Duende.IdentityModel.OidcClient;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>Issue 5: an unmodified certified OpenID Connect client library against the running system.</summary>
[Collection(SystemCollection.Name)]
public sealed class OpenIdConnectTests(SystemFixture system)
{
    private const string Callback = "http://127.0.0.1/oidc-callback";
    private const string SignedOut = "http://127.0.0.1/signed-out";
    private readonly TestApi _api = new(system);

    private async Task<string> CreateOidcClientAsync(string[]? grantTypes = null, string[]? redirects = null)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Desktop app",
            @public = true,
            grantTypes = grantTypes ?? ["authorization_code"],
            redirectUris = redirects ?? [Callback],
            postLogoutRedirectUris = new[] { SignedOut },
            scopes = new[] { "openid", "profile", "email", "useraccount" },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await _api.ReadAsync(response)).GetProperty("clientId").GetString()!;
    }

    private OidcClient Client(string clientId, FormBrowser browser, string userName, string password) => new(new OidcClientOptions
    {
        Authority = system.Issuer,
        ClientId = clientId,
        RedirectUri = Callback,
        PostLogoutRedirectUri = SignedOut,
        Scope = "openid profile email useraccount",
        Browser = new SigningInBrowser(browser, userName, password),
        IdentityTokenValidator = new JwtIdentityTokenValidator(system.Edge),
    });

    [Fact]
    public async Task OidcClientSignsAUserInReadsUserinfoAndTheAccessTokenWorksOnTheApi()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var oidc = Client(clientId, browser, userName, password);

        var login = await oidc.LoginAsync();

        Assert.False(login.IsError, login.Error + " " + login.ErrorDescription);
        Assert.Equal(sysId, login.User.FindFirst("sub")?.Value);
        Assert.Equal(userName, login.User.FindFirst("preferred_username")?.Value);
        Assert.Equal($"{userName}@example.com", login.User.FindFirst("email")?.Value);
        var idToken = new JsonWebToken(login.IdentityToken);
        Assert.Equal([clientId], idToken.Audiences);
        Assert.Equal("RS256", idToken.Alg);
        Assert.True(idToken.TryGetPayloadValue<long>("auth_time", out _));
        Assert.True(idToken.TryGetPayloadValue<string>("sid", out _));
        Assert.Equal(Protocol.OpenIdConnect.IdToken.AccessTokenHash(login.AccessToken), idToken.GetPayloadValue<string>("at_hash"));
        Assert.Equal(["pwd"], idToken.GetPayloadValue<string[]>("amr"));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: login.AccessToken)).StatusCode);

        var userinfo = await UserInfoAsync(login.AccessToken);
        Assert.Equal(HttpStatusCode.OK, userinfo.StatusCode);
        Assert.Equal(idToken.Subject, (await _api.ReadAsync(userinfo)).GetProperty("sub").GetString());
        Assert.Contains("no-store", userinfo.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task ARefreshedIdTokenCarriesNoNonceAndKeepsTheSignInsSubjectAndAuthTime()
    {
        var clientId = await CreateOidcClientAsync(grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        // Signed in with a nonce, as a relying party protecting its sign-in does.
        var verifier = Protocol.Tokens.RefreshTokens.New();
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Callback)}&state=s" +
            $"&scope={Uri.EscapeDataString("openid profile useraccount")}&nonce=n-refresh&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(verifier)}&code_challenge_method=S256");
        await browser.SignInAsync(userName, password);
        var consented = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        var login = await _api.RedeemCodeAsync(clientId, null, FormBrowser.RedirectParameters(consented, out _)["code"], verifier, Callback);
        Assert.False(login.IsError, login.Raw);
        var first = new JsonWebToken(login.IdentityToken);
        Assert.Equal("n-refresh", first.GetPayloadValue<string>("nonce"));
        var oidc = Client(clientId, browser, userName, password);

        // The certified client validates the refreshed ID token (signature, issuer, audience, sub).
        var refreshed = await oidc.RefreshTokenAsync(login.RefreshToken);

        Assert.False(refreshed.IsError, refreshed.Error + " " + refreshed.ErrorDescription);
        var again = new JsonWebToken(refreshed.IdentityToken);
        // OpenID Connect Core §12.2: no nonce (a refresh is not an authentication request); the
        // same subject and audience; auth_time still the original sign-in's.
        Assert.False(again.TryGetPayloadValue<string>("nonce", out _), "a refreshed ID token carries no nonce");
        Assert.Equal(sysId, again.Subject);
        Assert.Equal(first.Audiences, again.Audiences);
        Assert.Equal(first.GetPayloadValue<long>("auth_time"), again.GetPayloadValue<long>("auth_time"));
        Assert.False(again.TryGetPayloadValue<string>("azp", out _) && again.GetPayloadValue<string>("azp") != clientId);
    }

    [Fact]
    public async Task TheSignatureCheckingValidatorRefusesATamperedIdToken()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var options = new OidcClientOptions { Authority = system.Issuer, ClientId = clientId };
        var login = await Client(clientId, browser, userName, password).LoginAsync();
        Assert.False(login.IsError);
        options.ProviderInformation = new ProviderInformation { IssuerName = system.Issuer, KeySet = new Duende.IdentityModel.Jwk.JsonWebKeySet() };
        var validator = new JwtIdentityTokenValidator(system.Edge);

        Assert.False((await validator.ValidateAsync(login.IdentityToken, options)).IsError);

        var parts = login.IdentityToken.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var forged = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.Replace(login.User.FindFirst("sub")!.Value, "someone-else", StringComparison.Ordinal))}.{parts[2]}";
        Assert.True((await validator.ValidateAsync(forged, options)).IsError);
    }

    [Fact]
    public async Task UserinfoRefusesABadTokenWith401AndATokenWithoutOpenIdWith403()
    {
        var bad = await UserInfoAsync("not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("invalid_token", bad.Headers.WwwAuthenticate.ToString());
        Assert.Equal("Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"", (await system.Edge.GetAsync("/oauth/userinfo")).Headers.WwwAuthenticate.ToString());

        var user = await _api.CreateUserAsync(TestApi.Unique("svc"), []);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], applicationUser: user.GetProperty("userName").GetString());
        var noOpenId = await UserInfoAsync((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!);
        Assert.Equal(HttpStatusCode.Forbidden, noOpenId.StatusCode);
        Assert.Contains("insufficient_scope", noOpenId.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task LogoutWithTheIdTokenHintEndsTheSessionAndReturnsOnlyToTheRegisteredUriWithState()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var oidc = Client(clientId, browser, userName, password);
        var login = await oidc.LoginAsync();
        Assert.False(login.IsError);

        var logout = await oidc.LogoutAsync(new LogoutRequest { IdTokenHint = login.IdentityToken, State = "bye" });

        Assert.False(logout.IsError, logout.Error);
        Assert.StartsWith(SignedOut + "?state=bye", logout.Response);
        // Signed out: a silent request now needs a sign-in.
        var silent = await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Callback)}&state=s&scope=openid&prompt=none&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(new string('a', 43))}&code_challenge_method=S256");
        Assert.Equal("login_required", FormBrowser.RedirectParameters(silent, out _)["error"]);
    }

    [Fact]
    public async Task LogoutNeverRedirectsToAnUnregisteredUriAndAsksToConfirmWithoutAHint()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        Assert.False((await Client(clientId, browser, userName, password).LoginAsync()).IsError);

        var response = await browser.GetAsync($"/oauth/logout?client_id={clientId}&post_logout_redirect_uri={Uri.EscapeDataString("https://evil.example.test/")}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Sign out?", browser.Html);

        var confirmed = await browser.SubmitAsync(("decision", "logout"));
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Null(confirmed.Headers.Location);
        Assert.Contains("You are signed out", browser.Html);
    }

    [Fact]
    public async Task TheCodeFlowsIdTokenCarriesTheRequestsNonceAndTheSignInsAuthTime()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var verifier = new string('k', 50);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Callback)}&state=s&scope=openid&nonce=abc-123&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(verifier)}&code_challenge_method=S256");
        await browser.SignInAsync(userName, password);
        var code = FormBrowser.RedirectParameters(await browser.ConsentAsync(true), out _)["code"];

        var tokens = await _api.PostFormAsync("/oauth/token", [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", Callback),
            new("code_verifier", verifier), new("client_id", clientId)]);

        var idToken = new JsonWebToken((await _api.ReadAsync(tokens)).GetProperty("id_token").GetString());
        Assert.Equal("abc-123", idToken.GetPayloadValue<string>("nonce"));
        Assert.InRange(idToken.GetPayloadValue<long>("auth_time"), before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task LoginHintFillsTheUserNameAndAnIdTokenHintForAnotherUserAsksForASignIn()
    {
        var clientId = await CreateOidcClientAsync();
        var (alice, _, alicePassword) = await _api.CreateSignInUserAsync();
        var (bob, _, bobPassword) = await _api.CreateSignInUserAsync();
        using var aliceBrowser = new FormBrowser(system.EdgeUrl);
        using var bobBrowser = new FormBrowser(system.EdgeUrl);
        Assert.False((await Client(clientId, aliceBrowser, alice, alicePassword).LoginAsync()).IsError);
        var bobLogin = await Client(clientId, bobBrowser, bob, bobPassword).LoginAsync();
        var challenge = Protocol.Authorization.Pkce.ChallengeOf(new string('h', 50));
        var start = $"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Callback)}&state=s&scope=openid&code_challenge={challenge}&code_challenge_method=S256";

        // Alice is signed in, but the client expects Bob: sign in again (silently impossible).
        await aliceBrowser.GetAsync($"{start}&id_token_hint={bobLogin.IdentityToken}&login_hint={bob}");
        Assert.Contains("id=\"password\"", aliceBrowser.Html);
        Assert.Contains($"value=\"{bob}\"", aliceBrowser.Html);
        var silent = await aliceBrowser.GetAsync($"{start}&id_token_hint={bobLogin.IdentityToken}&prompt=none");
        Assert.Equal("login_required", FormBrowser.RedirectParameters(silent, out _)["error"]);

        // A hint that is not our ID token is refused.
        var forged = await aliceBrowser.GetAsync($"{start}&id_token_hint=not.a.token");
        Assert.Equal("invalid_request", FormBrowser.RedirectParameters(forged, out _)["error"]);
    }

    [Fact]
    public async Task MaxAgeZeroAsksTheSignedInUserToSignInAgain()
    {
        var clientId = await CreateOidcClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        Assert.False((await Client(clientId, browser, userName, password).LoginAsync()).IsError);
        await Task.Delay(1100);

        await browser.GetAsync($"/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Callback)}&state=s&scope=openid&max_age=0&code_challenge={Protocol.Authorization.Pkce.ChallengeOf(new string('a', 43))}&code_challenge_method=S256");

        Assert.Contains("id=\"password\"", browser.Html);
    }

    [Fact]
    public async Task ImplicitIsRefusedForAClientWithoutItAndReturnsTokensInTheFragmentForOneWithIt()
    {
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var codeOnly = await CreateOidcClientAsync(redirects: ["https://spa.example.test/cb"]);
        using var browser = new FormBrowser(system.EdgeUrl);
        var refused = FormBrowser.RedirectParameters(await browser.GetAsync(
            $"/oauth/authorize?response_type=token&client_id={codeOnly}&redirect_uri={Uri.EscapeDataString("https://spa.example.test/cb")}&state=s&scope=useraccount"), out var refusedAt);
        Assert.Equal("unauthorized_client", refused["error"]);
        Assert.Empty(refusedAt.Query);

        var legacy = await CreateOidcClientAsync(grantTypes: ["implicit"], redirects: ["https://spa.example.test/cb"]);
        await browser.GetAsync($"/oauth/authorize?response_type={Uri.EscapeDataString("id_token token")}&client_id={legacy}&redirect_uri={Uri.EscapeDataString("https://spa.example.test/cb")}&state=s&scope={Uri.EscapeDataString("openid useraccount")}&nonce=n-123");
        await browser.SignInAsync(userName, password);
        var response = await browser.ConsentAsync(allow: true);

        var fragment = FormBrowser.RedirectParameters(response, out var location);
        Assert.Empty(location.Query);
        Assert.Equal("Bearer", fragment["token_type"]);
        Assert.Equal("s", fragment["state"]);
        Assert.Equal(system.Issuer, fragment["iss"]);
        Assert.False(fragment.ContainsKey("refresh_token"));
        var idToken = new JsonWebToken(fragment["id_token"]);
        Assert.Equal(sysId, idToken.Subject);
        Assert.Equal("n-123", idToken.GetPayloadValue<string>("nonce"));
        Assert.Equal(Protocol.OpenIdConnect.IdToken.AccessTokenHash(fragment["access_token"]), idToken.GetPayloadValue<string>("at_hash"));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: fragment["access_token"])).StatusCode);

        // id_token token without a nonce is refused.
        var noNonce = FormBrowser.RedirectParameters(await browser.GetAsync(
            $"/oauth/authorize?response_type={Uri.EscapeDataString("id_token token")}&client_id={legacy}&redirect_uri={Uri.EscapeDataString("https://spa.example.test/cb")}&state=s&scope=openid"), out _);
        Assert.Equal("invalid_request", noNonce["error"]);
    }

    [Fact]
    public async Task TheDiscoveryDocumentIsCompleteEnoughForCertifiedClients()
    {
        using var document = JsonDocument.Parse(await system.Edge.GetStringAsync("/.well-known/openid-configuration"));
        var root = document.RootElement;
        foreach (var member in new[] { "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint" })
        {
            Assert.StartsWith(system.Issuer + "/", root.GetProperty(member).GetString());
        }

        Assert.Contains("public", root.GetProperty("subject_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("RS256", root.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["S256"], root.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("none", root.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }

    private async Task<HttpResponseMessage> UserInfoAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await system.Edge.SendAsync(request);
    }
}
