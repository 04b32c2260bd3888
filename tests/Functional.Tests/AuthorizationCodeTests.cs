using System.Net;
using System.Text.Json;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Functional.Tests;

/// <summary>Issue 4 through the edge: sign-in, consent and the code exchange, for confidential and public clients.</summary>
[Collection(SystemCollection.Name)]
public sealed class AuthorizationCodeTests(SystemFixture system)
{
    private const string WebRedirect = "https://app.example.test/callback";
    private const string NativeRedirect = "http://127.0.0.1/callback";
    private readonly TestApi _api = new(system);

    private static string Authorize(string clientId, string? redirectUri, string scope = "useraccount", string? state = "st4te",
        string? challenge = null, string? method = "S256", params (string, string)[] extra)
    {
        var query = new List<string> { "response_type=code", $"client_id={Uri.EscapeDataString(clientId)}", $"scope={Uri.EscapeDataString(scope)}" };
        if (redirectUri is not null)
        {
            query.Add($"redirect_uri={Uri.EscapeDataString(redirectUri)}");
        }

        if (state is not null)
        {
            query.Add($"state={state}");
        }

        if (challenge is not null)
        {
            query.Add($"code_challenge={challenge}");
            if (method is not null)
            {
                query.Add($"code_challenge_method={method}");
            }
        }

        query.AddRange(extra.Select(e => $"{e.Item1}={Uri.EscapeDataString(e.Item2)}"));
        return "/oauth/authorize?" + string.Join('&', query);
    }

    /// <summary>Runs sign-in and consent; returns the parameters the client received.</summary>
    private async Task<Dictionary<string, string>> SignInAndConsentAsync(FormBrowser browser, string url, string userName, string password)
    {
        await browser.GetAsync(url);
        Assert.Contains("Sign in", browser.Html);
        await browser.SignInAsync(userName, password);
        Assert.Contains("wants to access your account", browser.Html);
        return FormBrowser.RedirectParameters(await browser.ConsentAsync(allow: true), out _);
    }

    private Task<TokenResponse> RedeemAsync(string clientId, string? secret, string code, string? redirectUri, string? verifier = null) =>
        system.Edge.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = _api.TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            Code = code,
            RedirectUri = redirectUri!,
            CodeVerifier = verifier,
            ClientCredentialStyle = secret is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    [Fact]
    public async Task AConfidentialWebClientCompletesTheFlowAndCallsTheApiAsTheUser()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount", "profile"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync(["itil"]);
        using var browser = new FormBrowser(system.EdgeUrl);

        var response = await SignInAndConsentAsync(browser, Authorize(clientId, WebRedirect, "useraccount profile"), userName, password);

        Assert.Equal("st4te", response["state"]);
        Assert.Equal(system.Issuer, response["iss"]);
        var tokens = await RedeemAsync(clientId, secret, response["code"], WebRedirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal("profile useraccount", tokens.Scope);
        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(sysId, jwt.Subject);
        Assert.Equal(["itil"], jwt.GetPayloadValue<string[]>("roles"));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task APublicNativeClientCompletesTheFlowWithPkceOnAnEphemeralLoopbackPort()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([NativeRedirect], ["useraccount"], isPublic: true, grantTypes: ["authorization_code", "refresh_token"]);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        var verifier = Protocol.Tokens.AccessToken.NewJti() + Protocol.Tokens.AccessToken.NewJti() + "-x";
        const string redirect = "http://127.0.0.1:53682/callback";
        using var browser = new FormBrowser(system.EdgeUrl);

        var response = await SignInAndConsentAsync(browser, Authorize(clientId, redirect, challenge: Pkce.ChallengeOf(verifier)), userName, password);
        var tokens = await RedeemAsync(clientId, null, response["code"], redirect, verifier);

        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(sysId, new JsonWebToken(tokens.AccessToken).Subject);
    }

    [Fact]
    public async Task AnUnknownClientAnUnregisteredRedirectOrAMissingRequiredRedirectGetAnErrorPageNeverARedirect()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect, "https://app.example.test/other"], ["useraccount"]);
        using var browser = new FormBrowser(system.EdgeUrl);
        foreach (var url in new[]
        {
            Authorize("no-such-client-123", WebRedirect),
            Authorize(clientId, "https://evil.example.test/callback"),
            Authorize(clientId, WebRedirect + "/"),
            Authorize(clientId, null),
        })
        {
            var response = await browser.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.Contains("cannot be completed", browser.Html);
        }
    }

    [Theory]
    [InlineData("code token", "unsupported_response_type")]
    [InlineData("code", "invalid_scope", "admin.api")]
    [InlineData("code", "invalid_request", "useraccount", true)]
    public async Task OtherRefusalsGoBackToTheClientWithStateAndIss(string responseType, string error, string scope = "useraccount", bool dropState = false)
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        using var browser = new FormBrowser(system.EdgeUrl);
        var url = Authorize(clientId, WebRedirect, scope, dropState ? null : "st4te").Replace("response_type=code", $"response_type={Uri.EscapeDataString(responseType)}");

        var parameters = FormBrowser.RedirectParameters(await browser.GetAsync(url), out var location);

        Assert.StartsWith(WebRedirect + "?", location.ToString());
        Assert.Equal(error, parameters["error"]);
        Assert.Equal(system.Issuer, parameters["iss"]);
        Assert.Equal(dropState ? null : "st4te", parameters.GetValueOrDefault("state"));
    }

    [Fact]
    public async Task AClientNotAllowedTheCodeGrantIsUnauthorized()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"], grantTypes: ["implicit"]);
        using var browser = new FormBrowser(system.EdgeUrl);
        Assert.Equal("unauthorized_client", FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(clientId, WebRedirect)), out _)["error"]);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("plain", "challenge")]
    [InlineData(null, "challenge")]
    public async Task APublicClientWithoutAnS256ChallengeIsRefused(string? method, string? challengeKind)
    {
        var (clientId, _) = await _api.CreateWebClientAsync([NativeRedirect], ["useraccount"], isPublic: true);
        using var browser = new FormBrowser(system.EdgeUrl);
        var challenge = challengeKind is null ? null : Pkce.ChallengeOf(new string('v', 60));

        var parameters = FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(clientId, NativeRedirect, challenge: challenge, method: method)), out _);

        Assert.Equal("invalid_request", parameters["error"]);
        Assert.Equal("st4te", parameters["state"]);
    }

    [Fact]
    public async Task DenyingConsentSendsAccessDenied()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync(Authorize(clientId, WebRedirect));
        await browser.SignInAsync(userName, password);

        var parameters = FormBrowser.RedirectParameters(await browser.ConsentAsync(allow: false), out _);

        Assert.Equal("access_denied", parameters["error"]);
        Assert.Equal("st4te", parameters["state"]);
        Assert.Equal(system.Issuer, parameters["iss"]);
    }

    [Fact]
    public async Task PromptNoneAnswersLoginRequiredThenConsentRequiredWithoutShowingAPage()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (otherClient, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);

        Assert.Equal("login_required", FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(clientId, WebRedirect, extra: ("prompt", "none"))), out _)["error"]);

        await SignInAndConsentAsync(browser, Authorize(otherClient, WebRedirect), userName, password);
        Assert.Equal("consent_required", FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(clientId, WebRedirect, extra: ("prompt", "none"))), out _)["error"]);
        // Signed in and consented: prompt=none now answers with a code.
        Assert.True(FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(otherClient, WebRedirect, extra: ("prompt", "none"))), out _).ContainsKey("code"));
    }

    [Fact]
    public async Task ARememberedConsentSkipsThePageAndARevokedOneShowsItAgain()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        await SignInAndConsentAsync(browser, Authorize(clientId, WebRedirect), userName, password);

        var again = FormBrowser.RedirectParameters(await browser.GetAsync(Authorize(clientId, WebRedirect)), out _);
        Assert.True(again.ContainsKey("code"));
        var consents = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}/consents"));
        Assert.Equal(clientId, consents.EnumerateArray().Single().GetProperty("clientId").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}/consents/{clientId}")).StatusCode);
        await browser.GetAsync(Authorize(clientId, WebRedirect));
        Assert.Contains("wants to access your account", browser.Html);
    }

    [Fact]
    public async Task ANativePublicClientIsAskedForConsentEveryTime()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([NativeRedirect], ["useraccount"], isPublic: true);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        var challenge = Pkce.ChallengeOf(new string('n', 60));
        await SignInAndConsentAsync(browser, Authorize(clientId, NativeRedirect, challenge: challenge), userName, password);

        await browser.GetAsync(Authorize(clientId, NativeRedirect, challenge: challenge));

        Assert.Contains("wants to access your account", browser.Html);
    }

    [Fact]
    public async Task FormPostResponseModeAnswersWithAFormPostingToTheRedirectUri()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync(Authorize(clientId, WebRedirect, extra: ("response_mode", "form_post")));
        await browser.SignInAsync(userName, password);

        var response = await browser.ConsentAsync(allow: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"action=\"{WebRedirect}\"", browser.Html);
        Assert.Contains("name=\"code\"", browser.Html);
        Assert.Contains("name=\"iss\"", browser.Html);
        Assert.Contains("form-action 'self' https://app.example.test", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task EveryPageRefusesFramingAndIsNeverCached()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        using var browser = new FormBrowser(system.EdgeUrl);
        var response = await browser.GetAsync(Authorize(clientId, WebRedirect));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Contains("<label for=\"username\">", browser.Html);
        Assert.Contains("<label for=\"password\">", browser.Html);
    }

    [Fact]
    public async Task TheAuthorizationRequestMayBePostedAsAFormAndTheSessionCookieIsHttpOnlyAndLax()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = system.EdgeUrl };

        var posted = await http.PostAsync("/oauth_auth.do", new FormUrlEncodedContent(
            [new("response_type", "code"), new("client_id", clientId), new("redirect_uri", WebRedirect), new("state", "p"), new("scope", "useraccount")]));
        Assert.Equal(HttpStatusCode.Found, posted.StatusCode);
        Assert.StartsWith("/oauth/login?request=", posted.Headers.Location!.ToString());

        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync(posted.Headers.Location.ToString());
        var signedIn = await browser.SignInAsync(userName, password);
        Assert.Contains("wants to access your account", browser.Html);
        var session = browser.Cookies.GetAllCookies().Single(c => c.Name == "oauthaspire_session");
        Assert.True(session.HttpOnly);
        Assert.False(session.Secure); // plain-http loopback development only
        Assert.Equal(43, session.Value.Length);
        var header = browser.SetCookieHeaders.Single(h => h.StartsWith("oauthaspire_session=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("samesite=lax", header);
        Assert.Contains("httponly", header);
    }

    [Fact]
    public async Task TheLoginFormRefusesAPostWithoutTheAntiforgeryToken()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([WebRedirect], ["useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var browser = new FormBrowser(system.EdgeUrl);
        await browser.GetAsync(Authorize(clientId, WebRedirect));
        var requestId = System.Text.RegularExpressions.Regex.Match(browser.Html, "name=\"request\" value=\"([^\"]+)\"").Groups[1].Value;

        using var attacker = new HttpClient();
        var response = await attacker.PostAsync(system.Issuer + "/oauth/login",
            new FormUrlEncodedContent([new("request", requestId), new("username", userName), new("password", password)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }
}
