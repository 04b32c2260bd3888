using System.Net;
using Duende.IdentityModel.Client;
using Microsoft.Playwright;

namespace OAuthAspire.Functional.Tests;

/// <summary>A real browser (Debian's Chromium through Playwright) through sign-in and consent.</summary>
[Collection(SystemCollection.Name)]
public sealed class BrowserSignInTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    public static readonly string ArtifactDirectory = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", "artifacts", "screenshots"));

    /// <summary>Offline-safe launch options: no downloads, no lookups of Google hosts, only loopback resolves.</summary>
    public static BrowserTypeLaunchOptions LaunchOptions => new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        ],
    };

    [Fact]
    public async Task ARealBrowserSignsInApprovesConsentAndLandsOnTheRedirectUriWithACodeAndIss()
    {
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["useraccount", "profile"], name: "Field Service Web");
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(LaunchOptions);
        var page = await browser.NewPageAsync();
        string? landedOn = null;
        // The client's redirect URI, served by the test: the browser really navigates there.
        await page.RouteAsync("https://app.example.test/**", async route =>
        {
            landedOn = route.Request.Url;
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/plain", Body = "signed in" });
        });

        await page.GotoAsync($"{system.Issuer}/oauth/authorize?response_type=code&client_id={clientId}&redirect_uri={Uri.EscapeDataString(Redirect)}&scope=useraccount%20profile&state=browser-state");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        var allow = page.GetByRole(AriaRole.Button, new() { Name = "Allow" });
        await allow.WaitForAsync();
        Assert.Contains("Field Service Web wants to access your account", await page.ContentAsync());
        Directory.CreateDirectory(ArtifactDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactDirectory, "consent.png"), FullPage = true });
        await allow.ClickAsync();
        await page.WaitForURLAsync("https://app.example.test/**");

        Assert.NotNull(landedOn);
        var query = new Uri(landedOn!).Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("browser-state", query["state"]);
        Assert.Equal(system.Issuer, query["iss"]);
        var tokens = await system.Edge.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = _api.TokenEndpoint,
            ClientId = clientId,
            ClientSecret = secret,
            Code = query["code"],
            RedirectUri = Redirect,
        });
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode);
        Assert.True(new FileInfo(Path.Combine(ArtifactDirectory, "consent.png")).Length > 1000);
    }
}
