using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The admin console through the edge, in a real browser (Debian's Chromium): signed in with this
/// server's own code flow, acting only through the public admin API, accessible (axe-core, WCAG 2.1 AA rules).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ConsoleTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private string Console => system.Issuer + "/console/";

    [Fact]
    public async Task WithoutASessionTheConsoleAsksToSignInAndOnlyAPostedFormPushesASignInRequestToTheIssuer()
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies });
        using var page = await http.GetAsync(Console + "applications?search=x");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/console/sign-in?returnUrl=" + Uri.EscapeDataString("/console/applications?search=x"), page.Headers.Location!.OriginalString);

        // The sign-in page itself pushes nothing; it carries the console's policy: no script at all, never framed, never stored.
        using var signIn = await http.GetAsync(Console + "sign-in?returnUrl=" + Uri.EscapeDataString("/console/applications?search=x"));
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var policy = string.Join(";", signIn.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'none'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Equal("no-store", signIn.Headers.CacheControl?.ToString());
        var html = await signIn.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);

        // Without the form's token: refused, nothing pushed.
        using var forged = await http.PostAsync(Console + "signin", new FormUrlEncodedContent([new("returnUrl", "/console/")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        // With it: the request is pushed first (PAR, required for the console's client), and only its handle travels through the browser.
        using var started = await http.PostAsync(Console + "signin", new FormUrlEncodedContent(
            [new("__RequestVerificationToken", token), new("returnUrl", "https://elsewhere.example/steal")]));
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var location = started.Headers.Location!;
        Assert.StartsWith(system.Issuer + "/oauth/authorize?", location.AbsoluteUri, StringComparison.Ordinal);
        var query = location.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.True(query.Keys.Order(StringComparer.Ordinal).SequenceEqual(["client_id", "request_uri"]), location.Query);
        Assert.Equal("oauthaspire-console", query["client_id"]);
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", query["request_uri"], StringComparison.Ordinal);
        // Every cookie it set is its own, on its own path.
        Assert.All(started.Headers.GetValues("Set-Cookie"), c => Assert.Matches("^oauthaspire-console[^=]*=.*; path=/console", c));
        var client = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/clients/oauthaspire-console"));
        Assert.True(client.GetProperty("requirePushedAuthorizationRequests").GetBoolean());
        Assert.True(client.GetProperty("pkceRequired").GetBoolean());
        Assert.Equal([system.Issuer + "/console/signin-oidc"], client.GetProperty("redirectUris").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task AnAdministratorRegistersFindsRotatesAndDeactivatesAnApplicationAndEveryPagePassesAxe()
    {
        var (adminName, _, password) = await _api.CreateSignInUserAsync(["admin"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, adminName, password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        Assert.Contains(adminName, await page.Locator("header").InnerTextAsync());
        await AssertAccessibleAsync(page, "overview");

        // A refusal is shown beside its field, as the API worded it.
        var name = TestApi.Unique("Console app");
        await page.GotoAsync(Console + "applications/new");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Client credentials").CheckAsync();
        await page.GetByLabel("Redirect URIs").FillAsync("not a url");
        await page.GetByLabel("Scopes").FillAsync("openid");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.Locator("#redirectUris-problem")).ToBeVisibleAsync();
        Assert.Equal("redirectUris-problem", await page.GetByLabel("Redirect URIs").GetAttributeAsync("aria-describedby"));
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "registration refused");

        await page.GetByLabel("Redirect URIs").FillAsync("https://app.example.test/console-callback");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        var clientId = await page.Locator("#created-client-id").InnerTextAsync();
        var secret = await page.Locator("#created-client-secret").InnerTextAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await ClientAuthenticationAsync(clientId, secret)).StatusCode);

        // Found by part of its name, ignoring case, by the API's search.
        await page.GotoAsync(Console + "applications?q=" + Uri.EscapeDataString(name[12..].ToUpperInvariant()));
        var rows = page.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await rows.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await AssertAccessibleAsync(page, "application");

        // Rotating asks first; the new secret is shown once and the old one stops working.
        await page.GetByRole(AriaRole.Link, new() { Name = "Rotate secret…" }).ClickAsync();
        await AssertAccessibleAsync(page, "confirmation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate the secret" }).ClickAsync();
        var rotated = await page.Locator("#rotated-client-secret").InnerTextAsync();
        Assert.NotEqual(secret, rotated);
        // The token service drops its cached client on the rotation's event: the old secret fails within a second.
        await TestApi.EventuallyAsync(async () => (await ClientAuthenticationAsync(clientId, secret)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(2), "the old secret refused");
        Assert.Equal(HttpStatusCode.BadRequest, (await ClientAuthenticationAsync(clientId, rotated)).StatusCode);

        // Cancelling changes nothing; confirming deactivates.
        await page.GetByRole(AriaRole.Link, new() { Name = "Deactivate…" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        Assert.Equal("active", await page.Locator("#status").InnerTextAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Deactivate…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Deactivated.");
        Assert.Equal("deactivated", await page.Locator("#status").InnerTextAsync());
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.False(stored.GetProperty("active").GetBoolean());

        // The console's own consent is among the administrator's.
        await page.GotoAsync(Console + "consents?user=" + adminName);
        await Expect(page.Locator("tbody tr", new() { HasText = "oauthaspire-console" })).ToHaveCountAsync(1);
        await AssertAccessibleAsync(page, "consents");
    }

    [Fact]
    public async Task AnAdministratorFindsAClientsTokenAndRevokesItAfterConfirming()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var issued = await _api.ClientCredentialsAsync(clientId, secret, "useraccount");
        Assert.False(issued.IsError, issued.Raw);
        var jti = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(issued.AccessToken).Id;
        var (adminName, _, password) = await _api.CreateSignInUserAsync(["admin"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, adminName, password);

        await page.GotoAsync(Console + "tokens");
        await page.GetByLabel("Client id").FillAsync(clientId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        var row = page.Locator("tbody tr", new() { HasText = jti });
        await Expect(row).ToContainTextAsync("active");
        await AssertAccessibleAsync(page, "tokens");
        await row.GetByRole(AriaRole.Link, new() { Name = $"Revoke {jti}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Revoked 1 access tokens and 0 refresh families.");
        await Expect(page.Locator("tbody tr", new() { HasText = jti })).ToContainTextAsync("ended");

        var listed = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/tokens?client={clientId}&type=access_token"));
        Assert.False(Assert.Single(listed.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetString() == jti).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task AnAdministratorCreatesAUserFindsThemSetsTheirPasswordAndDeactivatesThem()
    {
        var (adminName, _, password) = await _api.CreateSignInUserAsync(["admin"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, adminName, password);

        var userName = TestApi.Unique("console-user");
        await page.GotoAsync(Console + "users/new");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("First name").FillAsync("Grace");
        await page.GetByLabel("Last name").FillAsync("Hopper");
        await page.GetByLabel("Email").FillAsync("grace@example.test");
        await page.GetByLabel("Roles").FillAsync("itil Not-A-Role");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("#roles-problem")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "user refused");
        await page.GetByLabel("Roles").FillAsync("itil");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Created {userName}.");

        // Found by part of the person's name, through the directory's search.
        await page.GotoAsync(Console + "users?q=grace%20HOP");
        await page.Locator("tbody tr").GetByRole(AriaRole.Link, new() { Name = userName }).ClickAsync();
        await AssertAccessibleAsync(page, "user");

        await page.GetByRole(AriaRole.Link, new() { Name = "Set password…" }).ClickAsync();
        await page.GetByLabel("New password").FillAsync("Another-horse-battery-7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set the password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The password is set");
        var web = await _api.CreateWebClientAsync(["https://app.example.test/callback"], ["openid"]);
        // A sign-in made before authorize hears of the change (within about a second) is ended with the old ones: allowed that long.
        await TestApi.EventuallyAsync(async () =>
        {
            try
            {
                return !(await _api.CodeFlowAsync(web.ClientId, web.Secret, userName, "Another-horse-battery-7", "openid")).IsError;
            }
            catch (Xunit.Sdk.XunitException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), "a sign-in with the password the console set");

        await page.GetByRole(AriaRole.Link, new() { Name = "Deactivate…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("deactivated");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}"));
        Assert.False(stored.GetProperty("active").GetBoolean());
        Assert.Equal(["itil"], stored.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task AnAdministratorTriesARequestAgainstAnApiPolicyEditsItsRulesAndTheDecisionFollows()
    {
        var table = await _api.ProtectedTableAsync();
        var (adminName, _, password) = await _api.CreateSignInUserAsync(["admin"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, adminName, password);

        async Task<string> DecideAsync(string method, string scopes)
        {
            await page.GotoAsync(Console + "api-policies");
            await page.GetByLabel("Method").SelectOptionAsync(method);
            await page.GetByLabel("Path").FillAsync(table.Path);
            await page.GetByLabel("Token scopes").FillAsync(scopes);
            await page.GetByRole(AriaRole.Button, new() { Name = "Decide" }).ClickAsync();
            return await page.Locator("#decision").InnerTextAsync();
        }

        Assert.StartsWith("Allowed", await DecideAsync("GET", table.Read));
        await AssertAccessibleAsync(page, "API policies");
        var refused = await DecideAsync("POST", table.Read);
        Assert.StartsWith("Refused", refused);
        Assert.Contains($"Needs one of: {table.Write}", refused);

        // A rule naming a scope that does not exist is refused beside the rules; a good one is saved and decides at once.
        await page.GotoAsync(Console + "api-policies/" + table.Name);
        var rules = page.GetByLabel("Rules, one per line");
        var original = await rules.InputValueAsync();
        await rules.FillAsync(original + "\nPOST " + table.Path + " no-such-scope");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save rules" }).ClickAsync();
        await Expect(page.Locator("#rules-problem")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "API policy refused");
        await page.GetByLabel("Rules, one per line").FillAsync(original.Replace($"POST {table.Path} {table.Write}", $"POST {table.Path} {table.Write} {table.Read}", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save rules" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved.");
        Assert.StartsWith("Allowed", await DecideAsync("POST", table.Read));

        // Scopes: created with the text users see, deactivated after confirming.
        var scope = TestApi.Unique("console.scope");
        await page.GotoAsync(Console + "scopes");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(scope);
        await page.GetByLabel("Shown to users as").FillAsync("Read the console's test data");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Created {scope}.");
        await AssertAccessibleAsync(page, "scopes");
        await page.GetByRole(AriaRole.Link, new() { Name = $"Deactivate {scope}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Deactivated {scope}.");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{scope}"));
        Assert.False(stored.GetProperty("active").GetBoolean());
        Assert.Equal("Read the console's test data", stored.GetProperty("description").GetString());

        // Trusts: a provider checked now, its keys named; down, said in generic words.
        await using var provider = await TestKeyServer.StartAsync();
        var trust = TestApi.Unique("console-idp");
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = trust, issuer = provider.Issuer, clientIds = new[] { "console-app" }, userClaim = "sub", userField = "user_name",
        })).StatusCode);
        await page.GotoAsync(Console + "trusts");
        await page.GetByRole(AriaRole.Link, new() { Name = trust }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the provider now" }).ClickAsync();
        await Expect(page.Locator("#check")).ToContainTextAsync($"1 keys ({provider.Current.KeyId})");
        await AssertAccessibleAsync(page, "trust");
        provider.Down = true;
        await page.GetByRole(AriaRole.Button, new() { Name = "Check the provider now" }).ClickAsync();
        await Expect(page.Locator("#check")).ToContainTextAsync("The provider's metadata could not be fetched.");
    }

    [Fact]
    public async Task AnAuditorFollowsAClientsEventsLiveButAdministersNothing()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.False((await _api.ClientCredentialsAsync(clientId, secret)).IsError);
        Assert.True((await _api.ClientCredentialsAsync(clientId, secret + "x")).IsError);
        var (auditorName, _, password) = await _api.CreateSignInUserAsync(["auditor"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, auditorName, password);

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        await page.GetByLabel("Client id").FillAsync(clientId);
        await page.GetByLabel("Outcome").SelectOptionAsync("failure");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        Assert.Equal(0, await page.Locator("meta[http-equiv=refresh]").CountAsync());
        await AssertAccessibleAsync(page, "audit");

        // Live: the page asks for itself again (no script) until the stream has brought the event.
        await page.GetByLabel("Refresh every 10 seconds").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        var refused = page.Locator("tbody tr", new() { HasText = "TokenRequestRefused" });
        await Expect(refused).ToContainTextAsync("failure", new() { Timeout = 30_000 });
        await Expect(page.Locator("tbody tr", new() { HasText = "TokenIssued" })).ToHaveCountAsync(0);
        Assert.Equal(1, await page.Locator("meta[http-equiv=refresh]").CountAsync());
        // axe refuses any timed refresh, as it cannot see who chose it; this one only the user turns on,
        // and turns off on the same page (WCAG 2.2.1: "turn off"). Every other rule still holds.
        await AssertAccessibleAsync(page, "live audit", waived: "meta-refresh");
        await page.GetByRole(AriaRole.Link, new() { Name = "Stop refreshing" }).ClickAsync();
        Assert.Equal(0, await page.Locator("meta[http-equiv=refresh]").CountAsync());
        await Expect(page.Locator("tbody tr", new() { HasText = "TokenRequestRefused" })).ToHaveCountAsync(1);

        // An auditor changes nothing: the admin APIs refuse the same session.
        await page.GotoAsync(Console + "tokens");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("administrator role");
    }

    [Fact]
    public async Task AnAdministratorRevokesALeakedKeyAfterConfirming()
    {
        // A key published for later: revoking it touches no token of the other tests.
        var rotated = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds = 3600 });
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var kid = (await _api.ReadAsync(rotated)).GetProperty("kid").GetString()!;
        var (adminName, _, password) = await _api.CreateSignInUserAsync(["admin"]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, adminName, password);

        await page.GotoAsync(Console + "keys");
        await page.GetByRole(AriaRole.Link, new() { Name = $"Revoke {kid}" }).ClickAsync();
        await AssertAccessibleAsync(page, "key revocation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Revoked key {kid}.");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Revoke {kid}" })).ToHaveCountAsync(0);

        using var jwks = await _api.Edge.GetAsync("/oauth/jwks");
        Assert.DoesNotContain(kid, await jwks.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserWithoutAnAdminRoleIsToldWhyGetsNoConsoleSessionAndDisconnectsTheConsoleAtAccount()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        await SignInAsync(page, userName, password, landing: Console + "denied**");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You are not signed in to the console" })).ToBeVisibleAsync();
        Assert.Contains("holds no administrator role", await page.ContentAsync());
        await AssertAccessibleAsync(page, "denied");

        // Nothing of the console opens: it asks to sign in; "as someone else" asks the issuer for a fresh sign-in (prompt=login).
        await page.GotoAsync(Console + "applications");
        Assert.StartsWith(Console + "sign-in", page.Url, StringComparison.Ordinal);
        await page.GoBackAsync();
        // The user's own account (on the issuer's session, no admin role needed) lists the console they
        // allowed, and disconnects it after asking.
        await page.GotoAsync(system.Issuer + "/account");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Admin console" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "account");
        await page.GetByRole(AriaRole.Link, new() { Name = "Disconnect Admin console" }).ClickAsync();
        await AssertAccessibleAsync(page, "disconnect confirmation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disconnect" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Admin console is disconnected");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Admin console" })).ToHaveCountAsync(0);

        await page.GotoAsync(Console + "denied?reason=not-admin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as someone else" }).ClickAsync();
        await Expect(page.GetByLabel("Password")).ToBeVisibleAsync();
    }

    /// <summary>Opens the console, signs in on the issuer's login page, allows the console once, and lands back on the console.</summary>
    private async Task SignInAsync(IPage page, string userName, string password, string? landing = null)
    {
        await page.GotoAsync(Console);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue to sign in" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        var allow = page.GetByRole(AriaRole.Button, new() { Name = "Allow" });
        await page.WaitForURLAsync(url => url.Contains("/consent", StringComparison.Ordinal) || url.StartsWith(Console, StringComparison.Ordinal));
        if (await allow.CountAsync() > 0)
        {
            Assert.Contains("Admin console wants to access your account", await page.ContentAsync());
            await allow.ClickAsync();
        }

        try
        {
            await page.WaitForURLAsync(landing ?? Console + "**");
            Assert.True(landing is not null || !page.Url.Contains("/denied", StringComparison.Ordinal),
                $"the sign-in was refused at {page.Url}: {await page.InnerTextAsync("main")}");
        }
        catch (TimeoutException)
        {
            // Where the sign-in stopped, in the failure's words.
            throw new TimeoutException($"the sign-in stopped at {page.Url}: {(await page.InnerTextAsync("body"))[..Math.Min(600, (await page.InnerTextAsync("body")).Length)]}");
        }
    }

    /// <summary>The token endpoint's word on a client's credentials: 401 when they are wrong, 400 (a bad code) when they are right.</summary>
    private Task<HttpResponseMessage> ClientAuthenticationAsync(string clientId, string secret) =>
        _api.PostFormAsync("/oauth/token", [new("grant_type", "authorization_code"), new("code", "not-a-code"),
            new("redirect_uri", "https://app.example.test/console-callback")], clientId, secret);

    /// <summary>axe-core's WCAG 2.0/2.1 A and AA rules: no violation of any impact.</summary>
    /// <param name="waived">A rule the page breaks on purpose, each with its reason at the call.</param>
    private static async Task AssertAccessibleAsync(IPage page, string what, string? waived = null)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
            Rules = waived is null ? null : new Dictionary<string, RuleOptions> { [waived] = new RuleOptions { Enabled = false } },
        });
        var violations = result.Violations.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}").ToArray();
        Assert.True(violations.Length == 0, $"axe-core on the {what} page: {string.Join("; ", violations)}");
    }
}
