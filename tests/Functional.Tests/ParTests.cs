using System.Net;
using System.Text.Json;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 20, pushed authorization requests (RFC 9126) through the edge: the client pushes its
/// request authenticated, the browser carries only <c>client_id</c> and <c>request_uri</c>, only the
/// pushed parameters count, a reload during sign-in still works, one code spends the push, and a
/// client (or the server) may insist on pushing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ParTests(SystemFixture system)
{
    private const string RedirectUri = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private async Task<(string ClientId, string Secret)> WebClientAsync(bool requirePushed = false)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "PAR web app",
            grantTypes = new[] { "authorization_code" },
            redirectUris = new[] { RedirectUri },
            scopes = new[] { "openid", "useraccount" },
            requirePushedAuthorizationRequests = requirePushed,
        });
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
    }

    private static string Verifier() => Protocol.Tokens.RefreshTokens.New() + "-v";

    private static KeyValuePair<string, string>[] Request(string verifier, string scope = "openid useraccount", params KeyValuePair<string, string>[] more) =>
    [
        new("response_type", "code"), new("redirect_uri", RedirectUri), new("scope", scope), new("state", "pushed-state"),
        new("code_challenge", Pkce.ChallengeOf(verifier)), new("code_challenge_method", "S256"), .. more,
    ];

    private async Task<HttpResponseMessage> PushAsync(string clientId, string? secret, IEnumerable<KeyValuePair<string, string>> form) =>
        await _api.PostFormAsync("/oauth/par", form, clientId, secret);

    private async Task<string> RequestUriAsync(string clientId, string secret, string verifier)
    {
        var response = await PushAsync(clientId, secret, Request(verifier));
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        Assert.Equal(60, body.GetProperty("expires_in").GetInt32());
        return body.GetProperty("request_uri").GetString()!;
    }

    private static string AuthorizeUrl(string clientId, string requestUri, string extra = "") =>
        $"/oauth/authorize?client_id={Uri.EscapeDataString(clientId)}&request_uri={Uri.EscapeDataString(requestUri)}{extra}";

    /// <summary>Signs the user in from the authorize URL and consents; the redirect's parameters.</summary>
    private async Task<Dictionary<string, string>> SignInAsync(FormBrowser browser, string userName, string password)
    {
        await browser.SignInAsync(userName, password);
        var response = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        return FormBrowser.RedirectParameters(response, out _);
    }

    [Fact]
    public async Task ThePushedRequestAloneTravelsThroughTheBrowserAndOnlyItsParametersCount()
    {
        var (clientId, secret) = await WebClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();
        var requestUri = await RequestUriAsync(clientId, secret, verifier);
        Assert.StartsWith(PushedAuthorization.RequestUriPrefix, requestUri);

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        // A reload before signing in must not fail the user (RFC 9126 §4); a scope or state added in the browser counts for nothing.
        await browser.GetAsync(AuthorizeUrl(clientId, requestUri));
        await browser.GetAsync(AuthorizeUrl(clientId, requestUri, "&scope=admin.api&state=forged"));
        Assert.Equal(HttpStatusCode.OK, browser.Last!.StatusCode);
        var redirect = await SignInAsync(browser, userName, password);
        Assert.Equal("pushed-state", redirect["state"]);

        var tokens = await _api.RedeemCodeAsync(clientId, secret, redirect["code"], verifier, RedirectUri);
        Assert.False(tokens.IsError, tokens.Error);
        Assert.Equal("openid useraccount", tokens.Scope);

        // One code per push: the same request_uri now leads nowhere.
        using var again = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        var spent = await again.GetAsync(AuthorizeUrl(clientId, requestUri));
        Assert.Equal(HttpStatusCode.BadRequest, spent.StatusCode);
        Assert.Contains("used already", again.Html);
    }

    [Fact]
    public async Task ARequestUriIsGoodOnlyForItsOwnClientAndOnlyFromThisServer()
    {
        var (clientId, secret) = await WebClientAsync();
        var (otherId, _) = await WebClientAsync();
        var requestUri = await RequestUriAsync(clientId, secret, Verifier());

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(AuthorizeUrl(otherId, requestUri))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(AuthorizeUrl(clientId, "https://attacker.example/request.jwt"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync($"/oauth/authorize?request_uri={Uri.EscapeDataString(requestUri)}")).StatusCode);
        // Still good for its own client: nothing above spent it.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(AuthorizeUrl(clientId, requestUri))).StatusCode);
    }

    [Fact]
    public async Task APushIsCheckedLikeTheAuthorizationRequestItCarriesAndAnswersInJson()
    {
        var (clientId, secret) = await WebClientAsync();
        var verifier = Verifier();

        async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
        {
            var body = await _api.ReadAsync(response);
            Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body.GetRawText()}");
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            return body.GetProperty("error").GetString()!;
        }

        Assert.Equal("invalid_client", await ErrorAsync(await PushAsync(clientId, secret + "x", Request(verifier)), HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_request", await ErrorAsync(await PushAsync(clientId, secret,
            Request(verifier, more: new KeyValuePair<string, string>("request_uri", PushedAuthorization.RequestUriPrefix + "x"))), HttpStatusCode.BadRequest));
        Assert.Equal("invalid_request_object", await ErrorAsync(await PushAsync(clientId, secret,
            Request(verifier, more: new KeyValuePair<string, string>("request", "eyJhbGciOiJub25lIn0.e30."))), HttpStatusCode.BadRequest));
        Assert.Equal("invalid_request", await ErrorAsync(await PushAsync(clientId, secret,
            [.. Request(verifier).Where(p => p.Key != "redirect_uri"), new("redirect_uri", "https://attacker.example/cb")]), HttpStatusCode.BadRequest));
        Assert.Equal("invalid_scope", await ErrorAsync(await PushAsync(clientId, secret, Request(verifier, "openid admin.api")), HttpStatusCode.BadRequest));
        Assert.Equal("invalid_request", await ErrorAsync(await PushAsync(clientId, secret,
            [.. Request(verifier).Where(p => p.Key != "code_challenge_method"), new("code_challenge_method", "plain")]), HttpStatusCode.BadRequest));
        // A response type the client is not allowed (here the implicit grant's) is refused as at the authorization endpoint.
        Assert.Equal("unauthorized_client", await ErrorAsync(await PushAsync(clientId, secret,
            [.. Request(verifier).Where(p => p.Key != "response_type"), new("response_type", "token")]), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task AClientThatMustPushIsRefusedAPlainRequestAndTheMetadataSaysWhere()
    {
        var (clientId, secret) = await WebClientAsync(requirePushed: true);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        var plain = await browser.GetAsync("/oauth/authorize?" + string.Join('&', Request(verifier).Append(new("client_id", clientId))
            .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
        var refusal = FormBrowser.RedirectParameters(plain, out _);
        Assert.Equal("invalid_request", refusal["error"]);

        var requestUri = await RequestUriAsync(clientId, secret, verifier);
        await browser.GetAsync(AuthorizeUrl(clientId, requestUri));
        var redirect = await SignInAsync(browser, userName, password);
        Assert.True(redirect.ContainsKey("code"), string.Join(", ", redirect));

        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.Equal(system.Issuer + "/oauth/par", metadata.GetProperty("pushed_authorization_request_endpoint").GetString());
        Assert.True(metadata.GetProperty("request_uri_parameter_supported").GetBoolean());
        Assert.False(metadata.GetProperty("require_pushed_authorization_requests").GetBoolean());
    }

    [Fact]
    public async Task ADpopProofOnThePushPinsTheCodeToItsKey()
    {
        var (clientId, secret) = await WebClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();
        var key = new DpopKey();

        // RFC 9449 §10.1: the proof's key becomes the request's dpop_jkt; a dpop_jkt naming another key is refused.
        using var mismatched = TestApi.FormRequest("/oauth/par", Request(verifier, more: new KeyValuePair<string, string>("dpop_jkt", new DpopKey().Jkt)),
            clientId, secret);
        mismatched.Headers.Add("DPoP", key.Proof("POST", system.Issuer + "/oauth/par"));
        Assert.Equal(HttpStatusCode.BadRequest, (await system.Edge.SendAsync(mismatched)).StatusCode);
        using var push = TestApi.FormRequest("/oauth/par", Request(verifier), clientId, secret);
        push.Headers.Add("DPoP", key.Proof("POST", system.Issuer + "/oauth/par"));
        var pushed = await system.Edge.SendAsync(push);
        var body = await _api.ReadAsync(pushed);
        Assert.True(pushed.StatusCode == HttpStatusCode.Created, body.GetRawText());

        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(AuthorizeUrl(clientId, body.GetProperty("request_uri").GetString()!));
        var code = (await SignInAsync(browser, userName, password))["code"];
        KeyValuePair<string, string>[] redeem = [new("grant_type", "authorization_code"), new("code", code), new("code_verifier", verifier),
            new("redirect_uri", RedirectUri)];

        var unproven = await _api.PostFormAsync("/oauth/token", redeem, clientId, secret);
        Assert.Equal("invalid_grant", (await _api.ReadAsync(unproven)).GetProperty("error").GetString());
        using var proven = TestApi.FormRequest("/oauth/token", redeem, clientId, secret);
        proven.Headers.Add("DPoP", key.Proof("POST", system.Issuer + "/oauth/token"));
        var tokens = await _api.ReadAsync(await system.Edge.SendAsync(proven));
        Assert.Equal("DPoP", tokens.GetProperty("token_type").GetString());
    }

    [Fact]
    public async Task AnUnreadPushExpiresButASignInBegunInTimeMayTakeLonger()
    {
        var (clientId, secret) = await WebClientAsync();
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var verifier = Verifier();
        var begun = await RequestUriAsync(clientId, secret, verifier);
        var unread = await RequestUriAsync(clientId, secret, Verifier());
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(AuthorizeUrl(clientId, begun));

        // Both pushes' 60 s run out while the user is still typing.
        await using (var database = await system.DatabaseAsync("tokendb"))
        {
            await using var expire = database.CreateCommand(
                "UPDATE pushed_authorization_request SET expires_at = now() - interval '1 second' WHERE client_id = $1");
            expire.Parameters.AddWithValue(clientId);
            Assert.Equal(2, await expire.ExecuteNonQueryAsync());
        }

        var redirect = await SignInAsync(browser, userName, password);
        Assert.True(redirect.ContainsKey("code"), string.Join(", ", redirect));
        using var late = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        Assert.Equal(HttpStatusCode.BadRequest, (await late.GetAsync(AuthorizeUrl(clientId, unread))).StatusCode);
    }

    [Fact]
    public async Task APublicClientPushesByItsIdAloneAndNobodyPushesForAnotherOrWithControlCharacters()
    {
        var (publicId, _) = await _api.CreateWebClientAsync([RedirectUri], ["openid"], isPublic: true);
        var (clientId, secret) = await WebClientAsync();

        var byId = await _api.PostFormAsync("/oauth/par", [.. Request(Verifier(), "openid"), new("client_id", publicId)]);
        Assert.Equal(HttpStatusCode.Created, byId.StatusCode);
        var forAnother = await PushAsync(clientId, secret, [.. Request(Verifier()), new("client_id", publicId)]);
        Assert.Equal("invalid_request", (await _api.ReadAsync(forAnother)).GetProperty("error").GetString());
        var withNul = await PushAsync(clientId, secret, [.. Request(Verifier()).Where(p => p.Key != "state"), new("state", "a\0b")]);
        Assert.Equal("invalid_request", (await _api.ReadAsync(withNul)).GetProperty("error").GetString());
    }
}
