using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 24: signing in through a trusted provider on our login page (identity brokering), with the
/// in-test OpenID provider: its code flow (PKCE, nonce, state bound to this browser, iss checked),
/// then consent, code and tokens for the mapped user as after a password. Each test removes its
/// trust, so the login page of the other tests offers no provider.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BrokeredSignInTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task SigningInThroughAProviderContinuesTheRequestToConsentCodeAndTokensForTheMappedUser()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        await using var trust = await SignInTrustAsync(provider);
        var (userName, sysId, _) = await _api.CreateSignInUserAsync();
        provider.SignedIn = userName;
        provider.SignInClaims["amr"] = new[] { "pwd", "mfa", "the-providers-own-word" };
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], name: "Brokered App");
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);

        await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid useraccount", verifier) + "&nonce=n-1&prompt=login&max_age=0");
        Assert.Contains($"Sign in with {trust.DisplayName}", browser.Html);
        var toProvider = await StartAsync(browser, trust.Name);
        var asked = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(toProvider.Headers.Location!.Query);
        Assert.Equal(provider.OurClientId, asked["client_id"].ToString());
        Assert.Equal($"{system.Issuer}/oauth/login/federated/{trust.Name}/callback", asked["redirect_uri"].ToString());
        Assert.Equal("S256", asked["code_challenge_method"].ToString());
        Assert.True(asked["state"].ToString().Length >= 43 && asked["nonce"].ToString().Length >= 43);
        Assert.Equal("login", asked["prompt"].ToString());
        // prompt=login and max_age=0 ask the provider for a sign-in now (and its sign-in, checked there, satisfies ours: no loop back to the login page).
        Assert.Equal("0", asked["max_age"].ToString());
        Assert.Equal(HttpStatusCode.Found, toProvider.StatusCode);

        var consent = await ThroughProviderAsync(browser, toProvider);
        Assert.Contains("Brokered App wants to access", browser.Html);
        var code = FormBrowser.RedirectParameters(await browser.ConsentAsync(true), out _)["code"];
        var tokens = await _api.RedeemCodeAsync(clientId, secret, code, verifier, Redirect);

        Assert.False(tokens.IsError, tokens.Raw);
        var idToken = new JsonWebToken(tokens.IdentityToken);
        Assert.Equal(sysId, idToken.Subject);
        Assert.Equal("urn:oauthaspire:acr:federated", idToken.GetPayloadValue<string>("acr"));
        Assert.Equal(["pwd", "mfa"], idToken.GetPayloadValue<string[]>("amr"));
        Assert.Equal("n-1", idToken.GetPayloadValue<string>("nonce"));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: tokens.AccessToken)).StatusCode);
        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "FederatedSignIn" && e.GetProperty("trust").GetString() == trust.Name,
            TimeSpan.FromSeconds(10));
        var signedIn = events.Single(e => e.GetProperty("type").GetString() == "FederatedSignIn");
        Assert.Equal(sysId, signedIn.GetProperty("userSysId").GetString());
        Assert.Equal(clientId, signedIn.GetProperty("clientId").GetString());
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
    }

    [Fact]
    public async Task EveryRefusalShowsTheLoginPageAgainOrAnExpiredPageAndIsAuditedWithItsReason()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        await using var trust = await SignInTrustAsync(provider);
        var (clientId, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        var (known, _, _) = await _api.CreateSignInUserAsync();
        async Task<(FormBrowser Browser, HttpResponseMessage Answer)> AttemptAsync(Action before)
        {
            provider.SignedIn = known;
            provider.AuthorizeError = null;
            provider.NonceOverride = null;
            provider.ResponseIssuer = "";
            before();
            var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
            await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", "v-" + Guid.NewGuid().ToString("N")));
            return (browser, await ThroughProviderAsync(browser, await StartAsync(browser, trust.Name)));
        }

        var cases = new (string Why, Action Before, string Reason)[]
        {
            ("unknown user", () => provider.SignedIn = TestApi.Unique("nobody"), "no user with user_name"),
            ("the provider's error", () => provider.AuthorizeError = "access_denied", "error=access_denied"),
            ("another nonce", () => provider.NonceOverride = "not-ours", "nonce"),
            ("another issuer's response", () => provider.ResponseIssuer = "https://mix-up.example", "mix-up"),
            ("no iss though promised", () => provider.ResponseIssuer = null, "sent none"),
        };
        foreach (var (why, before, _) in cases)
        {
            var (browser, answer) = await AttemptAsync(before);
            using (browser)
            {
                Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {answer.StatusCode}");
                Assert.Contains($"Signing in through {trust.DisplayName} did not succeed", browser.Html);
                Assert.Contains("name=\"password\"", browser.Html);
            }
        }

        // The answer taken to another browser continues nothing there (and cancels nothing here); replayed, nothing either.
        provider.SignedIn = known;
        provider.ResponseIssuer = "";
        using var first = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await first.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", "v-" + Guid.NewGuid().ToString("N")));
        var callback = await ProviderAnswerAsync(await StartAsync(first, trust.Name));
        using var other = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await other.GetAsync(callback.ToString());
        Assert.Contains("Sign-in expired", other.Html);
        await first.GetAsync(callback.ToString());
        Assert.Contains("wants to access", first.Html);
        await first.GetAsync(callback.ToString());
        Assert.Contains("Sign-in expired", first.Html);

        var refusals = (await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3)))
            .Where(e => e.GetProperty("type").GetString() == "FederatedSignInRefused").Select(e => e.GetProperty("reason").GetString()!).ToArray();
        foreach (var (why, _, reason) in cases.Append(("another browser, or replayed", () => { }, "spent, expired or another browser's")))
        {
            Assert.True(refusals.Any(r => r.Contains(reason, StringComparison.Ordinal)), $"{why}: no refusal audited with '{reason}' in [{string.Join(" | ", refusals)}]");
        }
    }

    [Fact]
    public async Task AnEmailNeverSignsInAsTheExistingAccountHoldingItButAutomaticCreationMakesAndKeepsANewOne()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var address = $"{TestApi.Unique("ada")}@corp.example";
        // A local account already holds the address the provider will vouch for.
        var existing = await _api.CreateUserAsync(TestApi.Unique("local"), ["itil"]);
        var holder = existing.GetProperty("userName").GetString()!;
        var put = JsonSerializer.Deserialize<Dictionary<string, object?>>(existing.GetRawText())!;
        put["email"] = address;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{holder}", put)).StatusCode);
        provider.SignedIn = "provider-subject-" + Guid.NewGuid().ToString("N");
        provider.SignInClaims["email"] = address;
        provider.SignInClaims["email_verified"] = true;
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid"]);

        await using (var byEmail = await SignInTrustAsync(provider, userClaim: "email", userField: "email"))
        {
            var (refused, _) = await SignInThroughAsync(byEmail.Name, clientId, secret);
            Assert.Null(refused);

            // An API token of the subject, carrying the address, maps to the holder and links them ("nOAuth" on the token path)...
            var claims = provider.IdTokenClaims(provider.SignedIn, provider.OurClientId);
            claims["email"] = address;
            claims["email_verified"] = true;
            var seen = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: provider.Sign(claims)));
            Assert.Equal(existing.GetProperty("sysId").GetString(), seen.GetProperty("subject").GetString());
            // ...and that link never signs the subject in as the holder.
            var (stillRefused, page) = await SignInThroughAsync(byEmail.Name, clientId, secret);
            Assert.Null(stillRefused);
            Assert.Contains("did not succeed", page);
        }

        await using var creating = await SignInTrustAsync(provider, userClaim: "email", userField: "user_name", autoProvision: true);
        var (first, _) = await SignInThroughAsync(creating.Name, clientId, secret);
        Assert.NotNull(first);
        Assert.NotEqual(existing.GetProperty("sysId").GetString(), first);
        Assert.Equal(address, (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{Uri.EscapeDataString(address)}"))).GetProperty("userName").GetString());
        // The provider's subject is linked: the next sign-in is the same user whatever the address says by then.
        provider.SignInClaims["email"] = $"{TestApi.Unique("renamed")}@corp.example";
        var (again, _) = await SignInThroughAsync(creating.Name, clientId, secret);
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task AUserNameOfATrustsDomainGoesToItsProviderWithTheLoginHintNeverToAPassword()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var domain = $"{TestApi.Unique("corp")}.example";
        await using var trust = await SignInTrustAsync(provider, emailDomains: [domain]);
        var (clientId, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", "v-" + Guid.NewGuid().ToString("N")));

        var answer = await browser.SignInAsync($"grace@{domain.ToUpperInvariant()}", "");

        Assert.Equal(HttpStatusCode.Found, answer.StatusCode);
        Assert.StartsWith(provider.Issuer + "/authorize?", answer.Headers.Location!.ToString());
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(answer.Headers.Location!.Query);
        Assert.Equal($"grace@{domain.ToUpperInvariant()}", query["login_hint"].ToString());

        // One provider per domain; sign-in needs our client at the provider; the redirect URI to register is stated.
        await using var other = await TestKeyServer.StartAsync();
        var taken = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("idp"), issuer = other.Issuer, clientIds = new[] { "app" },
            providerClient = new { clientId = other.OurClientId, clientSecret = other.OurClientSecret }, signIn = new { emailDomains = new[] { domain } },
        });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        var noClient = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("idp"), issuer = other.Issuer, clientIds = new[] { "app" }, signIn = new { displayName = "Other" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, noClient.StatusCode);
        Assert.True((await _api.ReadAsync(noClient)).GetProperty("errors").TryGetProperty("providerClient", out _));
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{trust.Name}"));
        Assert.Equal($"{system.Issuer}/oauth/login/federated/{trust.Name}/callback", read.GetProperty("signIn").GetProperty("redirectUri").GetString());
    }

    [Fact]
    public async Task ARealBrowserSignsInThroughTheProviderAndLandsOnTheRedirectUriWithACode()
    {
        await using var provider = await TestKeyServer.StartAsync();
        await using var trust = await SignInTrustAsync(provider);
        var (userName, sysId, _) = await _api.CreateSignInUserAsync();
        provider.SignedIn = userName;
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid", "useraccount"], name: "Browser Brokered App");
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await chromium.NewPageAsync();
        string? landedOn = null;
        await page.RouteAsync("https://app.example.test/**", async route =>
        {
            landedOn = route.Request.Url;
            await route.FulfillAsync(new Microsoft.Playwright.RouteFulfillOptions { Status = 200, ContentType = "text/plain", Body = "signed in" });
        });
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";

        await page.GotoAsync(system.Issuer + TestApi.AuthorizePath(clientId, Redirect, "openid useraccount", verifier));
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = $"Sign in with {trust.DisplayName}" }).ClickAsync();
        var allow = page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Allow" });
        await allow.WaitForAsync();
        await allow.ClickAsync();
        await page.WaitForURLAsync("https://app.example.test/**");

        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(landedOn!).Query);
        var tokens = await _api.RedeemCodeAsync(clientId, secret, query["code"].ToString(), verifier, Redirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(sysId, new JsonWebToken(tokens.IdentityToken).Subject);
        Assert.Equal(1, provider.CodesRedeemed);
    }

    /// <summary>A sign-in through the trust, consent, code and tokens: the ID token's subject, or null when the sign-in was refused.</summary>
    private async Task<(string? Subject, string Html)> SignInThroughAsync(string trust, string clientId, string? secret)
    {
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", verifier));
        var answer = await ThroughProviderAsync(browser, await StartAsync(browser, trust));
        // Consent asked the first time; remembered after.
        var toClient = answer.StatusCode == HttpStatusCode.OK && browser.Html.Contains("wants to access", StringComparison.Ordinal)
            ? await browser.ConsentAsync(true)
            : answer;
        if (toClient.StatusCode != HttpStatusCode.Found || !toClient.Headers.Location!.ToString().StartsWith(Redirect, StringComparison.Ordinal))
        {
            return (null, browser.Html);
        }

        var code = FormBrowser.RedirectParameters(toClient, out _)["code"];
        var tokens = await _api.RedeemCodeAsync(clientId, secret, code, verifier, Redirect);
        Assert.False(tokens.IsError, tokens.Raw);
        return (new JsonWebToken(tokens.IdentityToken).Subject, browser.Html);
    }

    /// <summary>Presses "Sign in with …" for the trust: the answer is the redirect to the provider.</summary>
    private static Task<HttpResponseMessage> StartAsync(FormBrowser browser, string trust) =>
        browser.SubmitFormAsync("/oauth/login/federated", f => f.Contains($"value=\"{trust}\"", StringComparison.Ordinal));

    /// <summary>The provider's authorization endpoint (it signs its user in at once): where it sends the browser back.</summary>
    private static async Task<Uri> ProviderAnswerAsync(HttpResponseMessage toProvider)
    {
        Assert.Equal(HttpStatusCode.Found, toProvider.StatusCode);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var answer = await http.GetAsync(toProvider.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return answer.Headers.Location!;
    }

    private static async Task<HttpResponseMessage> ThroughProviderAsync(FormBrowser browser, HttpResponseMessage toProvider) =>
        await browser.GetAsync((await ProviderAnswerAsync(toProvider)).ToString());

    private async Task<SignInTrust> SignInTrustAsync(TestKeyServer provider, string userClaim = "sub", string userField = "user_name", bool autoProvision = false,
        string[]? emailDomains = null)
    {
        var name = TestApi.Unique("idp");
        var displayName = "Provider " + name[4..];
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name, issuer = provider.Issuer, clientIds = new[] { provider.OurClientId }, userClaim, userField, autoProvision,
            providerClient = new { clientId = provider.OurClientId, clientSecret = provider.OurClientSecret },
            signIn = new { displayName, loginHint = true, passPrompt = true, emailDomains = emailDomains ?? [] },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        // Offered once its event reached authorize (within a second): wait for the login page to show it.
        var (probe, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await TestApi.EventuallyAsync(async () =>
        {
            await browser.GetAsync(TestApi.AuthorizePath(probe, Redirect, "openid", "probe-verifier-" + Guid.NewGuid().ToString("N")));
            return browser.Html.Contains($"value=\"{name}\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5), "the login page offering the new trust");
        return new SignInTrust(_api, name, displayName);
    }

    /// <summary>A trust offering sign-in, deleted when done: the other tests' login pages must not offer it.</summary>
    private sealed record SignInTrust(TestApi Api, string Name, string DisplayName) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await Api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{Name}");
    }
}
