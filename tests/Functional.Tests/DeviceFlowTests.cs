using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 21, the device authorization grant (RFC 8628) through the edge, with Duende's certified
/// client for the device's side and the form browser for the user's: codes and URIs, every poll
/// answer, one redemption, the verification page (sign-in first, pre-filled never approved,
/// antiforgery), and the limits on wrong user codes. The fixture makes codes live 15 s, polled every second.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DeviceFlowTests(SystemFixture system)
{
    private const string DeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
    private readonly TestApi _api = new(system);

    private string DeviceEndpoint => system.Issuer + "/oauth/device_authorization";

    private async Task<(string ClientId, string? Secret)> DeviceClientAsync(bool isPublic = true, string[]? grantTypes = null, string name = "Living room TV") =>
        await _api.CreateWebClientAsync([], ["openid", "useraccount"], isPublic, grantTypes ?? [DeviceGrant, "refresh_token"], name: name);

    private Task<DeviceAuthorizationResponse> StartAsync(string clientId, string? secret = null, string scope = "openid useraccount") =>
        _api.Edge.RequestDeviceAuthorizationAsync(new DeviceAuthorizationRequest
        {
            Address = DeviceEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            Scope = scope,
            ClientCredentialStyle = secret is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    private Task<TokenResponse> PollAsync(string clientId, string deviceCode, string? secret = null) =>
        _api.Edge.RequestDeviceTokenAsync(new DeviceTokenRequest
        {
            Address = _api.TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            DeviceCode = deviceCode,
            ClientCredentialStyle = secret is null ? ClientCredentialStyle.PostBody : ClientCredentialStyle.AuthorizationHeader,
        });

    /// <summary>A signed-in browser on the verification page (from another loopback address when given).</summary>
    private async Task<FormBrowser> SignedInBrowserAsync(string url = "/device", string? localAddress = null, (string UserName, string Password)? user = null)
    {
        var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation, localAddress);
        var (userName, password) = user ?? await NewUserAsync();
        await browser.GetAsync(url);
        Assert.Contains("Sign in", browser.Html, StringComparison.Ordinal);
        await browser.SignInAsync(userName, password);
        Assert.Contains("Enter the code shown on your device", browser.Html, StringComparison.Ordinal);
        return browser;
    }

    private async Task<(string UserName, string Password)> NewUserAsync()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        return (userName, password);
    }

    private static string Field(string html, string name) =>
        System.Text.RegularExpressions.Regex.Match(html, $"name=\"{name}\" value=\"([^\"]*)\"").Groups[1].Value;

    /// <summary>Types a code on the entry page and approves or denies on the confirmation page.</summary>
    private static async Task AnswerAsync(FormBrowser browser, string userCode, bool approve)
    {
        await browser.SubmitAsync(("user_code", userCode));
        Assert.True(browser.Html.Contains("on a device wants to access your account", StringComparison.Ordinal), PageText(browser.Html));
        await browser.SubmitAsync(("decision", approve ? "approve" : "deny"));
        Assert.Contains(approve ? "Device approved" : "Request denied", browser.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConfirmationPageListsAdminApiOnlyForAnAdministrator()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([], ["openid", "admin.api"], isPublic: true, grantTypes: [DeviceGrant]);
        const string AdminText = "Administer OAuth applications";
        foreach (var (roles, listed) in new[] { (new[] { "itil" }, false), (new[] { "admin" }, true) })
        {
            var device = await StartAsync(clientId, scope: "openid admin.api");
            var (userName, _, password) = await _api.CreateSignInUserAsync(roles);
            using var browser = await SignedInBrowserAsync(user: (userName, password));
            await browser.SubmitAsync(("user_code", device.UserCode!));
            Assert.Contains("on a device wants to access your account", browser.Html, StringComparison.Ordinal);
            Assert.Equal(listed, browser.Html.Contains(AdminText, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ADeviceGetsADeviceCodeAUserCodeAndWhereToEnterIt()
    {
        var (clientId, _) = await DeviceClientAsync();
        using var raw = await _api.PostFormAsync("/oauth/device_authorization", [new("client_id", clientId), new("scope", "openid")]);
        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.True(raw.Headers.CacheControl?.NoStore);

        var device = await StartAsync(clientId);
        Assert.False(device.IsError, device.Error);
        Assert.Equal(43, device.DeviceCode!.Length);
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", device.UserCode!);
        Assert.Equal(system.Issuer + "/device", device.VerificationUri);
        Assert.Equal($"{system.Issuer}/device?user_code={device.UserCode}", device.VerificationUriComplete);
        Assert.Equal(15, device.ExpiresIn);
        Assert.Equal(1, device.Interval);

        var metadata = await _api.ReadAsync(await _api.Edge.GetAsync("/.well-known/openid-configuration"));
        Assert.Equal(DeviceEndpoint, metadata.GetProperty("device_authorization_endpoint").GetString());
        Assert.Contains(DeviceGrant, metadata.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task AClientWithoutTheGrantAnUnknownScopeAndAWrongSecretAreRefused()
    {
        var (webClient, _) = await _api.CreateWebClientAsync(["https://app.example.test/callback"], ["useraccount"], isPublic: true);
        var noGrant = await StartAsync(webClient, scope: "useraccount");
        Assert.Equal("unauthorized_client", noGrant.Error);

        var (clientId, _) = await DeviceClientAsync();
        Assert.Equal("invalid_scope", (await StartAsync(clientId, scope: "openid admin.api")).Error);

        var (confidential, secret) = await DeviceClientAsync(isPublic: false);
        Assert.False((await StartAsync(confidential, secret)).IsError);
        var wrong = await StartAsync(confidential, "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.HttpStatusCode);
        Assert.Equal("invalid_client", TestApi.OAuthError(wrong));

        // Nor may a client without the grant poll, even with a real device code.
        var device = await StartAsync(clientId);
        Assert.Equal("unauthorized_client", (await PollAsync(webClient, device.DeviceCode!)).Error);
    }

    [Fact]
    public async Task PollsPendUntilTheUserAnswersAndTooSoonSlowsDownForGood()
    {
        var (clientId, _) = await DeviceClientAsync();
        var device = await StartAsync(clientId);

        // Two polls at once: the first in pending, the second (a moment later by the database's clock) too soon.
        var polls = await Task.WhenAll(PollAsync(clientId, device.DeviceCode!), PollAsync(clientId, device.DeviceCode!));
        Assert.Equal(["authorization_pending", "slow_down"], polls.Select(p => p.Error).Order(StringComparer.Ordinal));
        Assert.All(polls, p => Assert.Equal(HttpStatusCode.BadRequest, p.HttpStatusCode));
        // The edge's marker for a poll answer never leaves it.
        Assert.All(polls, p => Assert.False(p.HttpResponse!.Headers.Contains(Protocol.Device.DevicePolling.PollAnswerHeader)));
        // The interval is now 6 s, for good: a poll 3 s later (well past the first interval) is still too soon.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("slow_down", (await PollAsync(clientId, device.DeviceCode!)).Error);
    }

    [Fact]
    public async Task AnApprovedCodeRedeemsOnceForTokensAndItsReplayRevokesThem()
    {
        var (clientId, _) = await DeviceClientAsync();
        var device = await StartAsync(clientId);
        var (userName, password) = await NewUserAsync();
        using var browser = await SignedInBrowserAsync(device.VerificationUriComplete!, user: (userName, password));
        await AnswerAsync(browser, device.UserCode!, approve: true);
        Assert.Contains("Living room TV", browser.Html, StringComparison.Ordinal);

        var tokens = await PollAsync(clientId, device.DeviceCode!);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.NotNull(tokens.RefreshToken);
        Assert.Equal("openid useraccount", tokens.Scope);
        var idToken = new JsonWebToken(tokens.IdentityToken);
        var access = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(access.Subject, idToken.Subject);
        Assert.Equal(clientId, idToken.GetClaim("aud").Value);
        Assert.True(idToken.TryGetClaim("sid", out _));
        Assert.True(idToken.TryGetClaim("auth_time", out _));
        using (var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo"))
        {
            userinfo.Headers.Authorization = new("Bearer", tokens.AccessToken);
            var claims = await _api.ReadAsync(await _api.Edge.SendAsync(userinfo));
            Assert.Equal(access.Subject, claims.GetProperty("sub").GetString());
        }

        // Presented again: refused, and what the first redemption issued is revoked, refresh token included.
        var replay = await PollAsync(clientId, device.DeviceCode!);
        Assert.Equal("invalid_grant", replay.Error);
        Assert.Equal("invalid_grant", (await _api.RefreshAsync(clientId, null, tokens.RefreshToken!)).Error);
        await TestApi.EventuallyAsync(async () =>
        {
            using var userinfo = new HttpRequestMessage(HttpMethod.Get, "/oauth/userinfo");
            userinfo.Headers.Authorization = new("Bearer", tokens.AccessToken);
            return (await _api.Edge.SendAsync(userinfo)).StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(10), "the replayed device code's access token refused");
    }

    [Fact]
    public async Task ADeniedRequestIsAccessDeniedAndAnotherClientsCodeIsInvalidGrant()
    {
        var (clientId, _) = await DeviceClientAsync();
        var (otherClient, _) = await DeviceClientAsync(name: "Another TV");
        var device = await StartAsync(clientId);
        Assert.Equal("invalid_grant", (await PollAsync(otherClient, device.DeviceCode!)).Error);

        using var browser = await SignedInBrowserAsync();
        await AnswerAsync(browser, device.UserCode!, approve: false);
        Assert.Equal("access_denied", (await PollAsync(clientId, device.DeviceCode!)).Error);
        Assert.Equal("invalid_grant", (await PollAsync(clientId, "no-such-device-code")).Error);
    }

    [Fact]
    public async Task AnExpiredCodeIsExpiredTokenAndCanNoLongerBeEntered()
    {
        var (clientId, _) = await DeviceClientAsync();
        var device = await StartAsync(clientId);
        using var browser = await SignedInBrowserAsync();
        await Task.Delay(TimeSpan.FromSeconds(device.ExpiresIn!.Value + 1));

        Assert.Equal("expired_token", (await PollAsync(clientId, device.DeviceCode!)).Error);
        await browser.SubmitAsync(("user_code", device.UserCode!));
        Assert.Equal(HttpStatusCode.BadRequest, browser.Last!.StatusCode);
        Assert.Contains("No device is waiting for this code", browser.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCompleteUriPrefillsTheCodeButOnlyTheUserApprovesAndCaseAndDashesDoNotMatter()
    {
        var (clientId, _) = await DeviceClientAsync();
        var device = await StartAsync(clientId);
        // Signed in from the complete URI: the code waits in the form, and nothing is approved.
        using var browser = await SignedInBrowserAsync(device.VerificationUriComplete!);
        Assert.Equal(device.UserCode, Field(browser.Html, "user_code"));
        Assert.Equal("authorization_pending", (await PollAsync(clientId, device.DeviceCode!)).Error);

        // Typed lower-case without the dash, it names the same request.
        await browser.SubmitAsync(("user_code", device.UserCode!.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant()));
        Assert.Contains("Living room TV on a device wants to access your account", browser.Html, StringComparison.Ordinal);
        Assert.Contains(device.UserCode, browser.Html, StringComparison.Ordinal);
        Assert.Contains("less than a minute ago", browser.Html, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal("authorization_pending", (await PollAsync(clientId, device.DeviceCode!)).Error);

        // A confirmation posted without the page's antiforgery token (another site's form) decides nothing.
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = browser.Cookies, ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
            { BaseAddress = system.EdgeUrl };
        var post = await http.PostAsync("/device", new FormUrlEncodedContent(
            [new("user_code", device.UserCode), new("device_id", Field(browser.Html, "device_id")), new("decision", "approve")]));
        Assert.Contains("The form expired or was not sent by this site", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal("authorization_pending", (await PollAsync(clientId, device.DeviceCode!)).Error);

        // A decision naming another request than the code's counts as a wrong code and decides nothing.
        await browser.GetAsync("/device");
        await browser.SubmitAsync(("user_code", device.UserCode!));
        await browser.SubmitAsync(("decision", "approve"), ("device_id", "0123456789abcdef0123456789abcdef"));
        Assert.Contains("No device is waiting for this code", browser.Html, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        Assert.Equal("authorization_pending", (await PollAsync(clientId, device.DeviceCode!)).Error);

        await AnswerAsync(browser, device.UserCode!, approve: true);
    }

    [Fact]
    public async Task InputThatCannotBeACodeIsSaidSoAndNeverCounted()
    {
        using var browser = await SignedInBrowserAsync();
        Assert.True(browser.Last!.Headers.CacheControl?.NoStore);
        // Six of them do not lock the session (five wrong codes would).
        for (var i = 0; i < 6; i++)
        {
            await browser.GetAsync("/device");
            await browser.SubmitAsync(("user_code", "1234-5678"));
            Assert.Equal(HttpStatusCode.BadRequest, browser.Last!.StatusCode);
            Assert.Contains("A code is eight letters", browser.Html, StringComparison.Ordinal);
        }

        var (clientId, _) = await DeviceClientAsync();
        var device = await StartAsync(clientId);
        await browser.GetAsync("/device");
        await AnswerAsync(browser, device.UserCode!, approve: true);
        Assert.False((await PollAsync(clientId, device.DeviceCode!)).IsError);
    }

    [Fact]
    public async Task TheDevicePagesParkedVisitIsNoAuthorizationRequest()
    {
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync("/device?user_code=BCDF-GHJK");
        var login = browser.Last!.RequestMessage!.RequestUri!;
        Assert.Equal("/oauth/login", login.AbsolutePath);
        Assert.DoesNotContain("BCDF", login.Query, StringComparison.Ordinal);

        // The parked visit's id opens neither the consent page nor anything else but the sign-in.
        await browser.GetAsync("/oauth/consent" + login.Query);
        Assert.Contains("This request has expired or was already answered", browser.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiveWrongCodesLockTheSessionEvenForTheRightCode()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, _) = await DeviceClientAsync();
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        using var browser = await SignedInBrowserAsync(localAddress: "127.0.0.61", user: (userName, password));
        using var other = await SignedInBrowserAsync(localAddress: "127.0.0.62");
        var device = await StartAsync(clientId);
        for (var i = 0; i < 5; i++)
        {
            await browser.SubmitAsync(("user_code", WrongCode(device.UserCode!)));
            Assert.Equal(HttpStatusCode.BadRequest, browser.Last!.StatusCode);
            Assert.Contains("No device is waiting for this code", browser.Html, StringComparison.Ordinal);
        }

        await browser.SubmitAsync(("user_code", device.UserCode!));
        Assert.Equal(HttpStatusCode.TooManyRequests, browser.Last!.StatusCode);
        Assert.Contains("Too many wrong codes", browser.Html, StringComparison.Ordinal);

        // Another session of another user may still enter it.
        await AnswerAsync(other, device.UserCode!, approve: true);
        Assert.False((await PollAsync(clientId, device.DeviceCode!)).IsError);

        // Two services' events, each through its own outbox: read until both have come.
        var events = new List<JsonElement>();
        bool Seen(string type) => events.Any(e => e.GetProperty("type").GetString() == type
            && (e.TryGetProperty("clientId", out var c) && c.GetString() == clientId
                || e.GetProperty("actor").TryGetProperty("userId", out var u) && u.GetString() == sysId));
        await TestApi.EventuallyAsync(async () =>
        {
            events.AddRange(await queue.ReadUntilAsync(_ => false, TimeSpan.FromMilliseconds(200)));
            return Seen("DeviceCodeRedeemed") && Seen("DeviceVerificationLocked");
        }, TimeSpan.FromSeconds(15), "the device's and the guesses' events");
        string[] types = [.. events.Select(e => e.GetProperty("type").GetString()!)];
        Assert.Contains("DeviceAuthorizationStarted", types);
        bool Mine(JsonElement e) => e.TryGetProperty("userSysId", out var user) && user.GetString() == sysId;
        Assert.Equal(5, events.Count(e => e.GetProperty("type").GetString() == "UserCodeRejected" && Mine(e)));
        var locked = events.Single(e => e.GetProperty("type").GetString() == "DeviceVerificationLocked"
            && e.GetProperty("actor").GetProperty("userId").GetString() == sysId);
        Assert.Equal("session", locked.GetProperty("scope").GetString());
        Assert.Contains("DeviceAuthorizationApproved", types);
        // Neither code is ever in the trail.
        Assert.DoesNotContain(events, e => e.GetRawText().Contains(device.DeviceCode!, StringComparison.Ordinal)
            || e.GetRawText().Contains(device.UserCode!, StringComparison.Ordinal)
            || e.GetRawText().Contains(device.UserCode!.Replace("-", "", StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongCodesAreLimitedPerAddressAcrossSessionsAndUsers()
    {
        const string address = "127.0.0.63";
        var (clientId, _) = await DeviceClientAsync();
        using var first = await SignedInBrowserAsync(localAddress: address);
        using var second = await SignedInBrowserAsync(localAddress: address);
        using var third = await SignedInBrowserAsync(localAddress: address);
        using var elsewhere = await SignedInBrowserAsync(localAddress: "127.0.0.64");
        var device = await StartAsync(clientId);
        for (var i = 0; i < 5; i++)
        {
            await first.SubmitAsync(("user_code", WrongCode(device.UserCode!)));
        }

        for (var i = 0; i < 3; i++)
        {
            await second.SubmitAsync(("user_code", WrongCode(device.UserCode!)));
            Assert.Equal(HttpStatusCode.BadRequest, second.Last!.StatusCode);
        }

        // Eight from the address: a third person there is refused even the right code.
        await third.SubmitAsync(("user_code", device.UserCode!));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.Last!.StatusCode);
        // Elsewhere the code still works.
        await AnswerAsync(elsewhere, device.UserCode!, approve: false);
    }

    [Fact]
    public async Task ManyWrongCodesFromEverywhereRaiseTheGuessingAlert()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        // 32 wrong codes from eight addresses and sessions, none reaching its own limit. The alert comes past 12 in a
        // minute and again every 12 more: 16 in a row, in one window or the next, cross one of those marks.
        for (var a = 0; a < 8; a++)
        {
            using var browser = await SignedInBrowserAsync(localAddress: $"127.0.0.{70 + a}");
            for (var i = 0; i < 4; i++)
            {
                await browser.SubmitAsync(("user_code", "BBBB-BBBB"));
                Assert.Equal(HttpStatusCode.BadRequest, browser.Last!.StatusCode);
            }
        }

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "UserCodeGuessingDetected", TimeSpan.FromSeconds(15));
        var alert = events.Last();
        Assert.Equal("UserCodeGuessingDetected", alert.GetProperty("type").GetString());
        var misses = alert.GetProperty("misses").GetInt32();
        Assert.True(misses >= 13 && (misses - 13) % 12 == 0, $"alert at {misses} misses");
    }

    [Fact]
    public async Task TheSampleCliSignsItsUserInWithTheDeviceGrantAndCallsTheTableApi()
    {
        var (clientId, _) = await _api.CreateWebClientAsync([], ["useraccount"], isPublic: true, grantTypes: [DeviceGrant], name: "Sample CLI");
        // The CLI of this build (same configuration as this test assembly), run as its own process.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (!File.Exists(Path.Combine(root.FullName, "OAuthAspire.sln")))
        {
            root = root.Parent!;
        }

        var cli = Path.Combine(root.FullName, "samples", "DeviceCli", "bin", configuration, testBin.Name,
            "OAuthAspire.Samples.DeviceCli.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { cli, system.Issuer, clientId, "useraccount" })
        {
            start.ArgumentList.Add(argument);
        }

        // Everything slow comes first: the code lives 15 s once the CLI asks for it.
        var (userName, password) = await NewUserAsync();
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await chromium.NewPageAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var process = System.Diagnostics.Process.Start(start)!;
        var lines = new List<string>();
        try
        {
            string? complete = null;
            while (complete is null && await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add($"{clock.Elapsed.TotalSeconds:F1} s: {line}");
                complete = line.StartsWith("or open ", StringComparison.Ordinal) ? line["or open ".Length..] : null;
            }

            if (complete is null)
            {
                Assert.Fail("no verification URI printed: " + string.Join('\n', lines) + await process.StandardError.ReadToEndAsync());
            }

            // The user, in a real browser (Debian's Chromium), opens the link the CLI printed, signs in and allows.
            await page.GotoAsync(complete);
            await page.GetByLabel("User name").FillAsync(userName);
            await page.GetByLabel("Password").FillAsync(password);
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            // The code is filled in, not yet sent: the user presses Continue, checks the request, then allows it.
            var code = page.GetByLabel("Code");
            await code.WaitForAsync();
            Assert.Equal(complete[(complete.IndexOf('=') + 1)..], await code.InputValueAsync());
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            var allow = page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Allow" });
            await allow.WaitForAsync();
            Assert.Contains("Sample CLI on a device wants to access your account", await page.ContentAsync(), StringComparison.Ordinal);
            Directory.CreateDirectory(BrowserSignInTests.ArtifactDirectory);
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSignInTests.ArtifactDirectory, "device.png"), FullPage = true });
            await allow.ClickAsync();
            await page.GetByText("Device approved").WaitForAsync();

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var rest = await process.StandardOutput.ReadToEndAsync(exit.Token);
            await process.WaitForExitAsync(exit.Token);
            Assert.True(process.ExitCode == 0, string.Join('\n', lines) + rest);
            Assert.Contains("signed in", rest, StringComparison.Ordinal);
            Assert.Contains("GET /api/now/table/incident: 200", rest, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>What a page says, for a failure's message.</summary>
    private static string PageText(string html) => html.Contains("<main>", StringComparison.Ordinal) ? html[html.IndexOf("<main>", StringComparison.Ordinal)..] : html;

    /// <summary>A well-formed code that is not <paramref name="right"/>.</summary>
    private static string WrongCode(string right) => right.StartsWith('B') ? "CCCC-CCCC" : "BBBB-BBBB";
}
