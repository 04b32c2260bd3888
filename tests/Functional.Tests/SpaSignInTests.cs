using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Review finding 2: a single-page app on its own origin signs a user in with a standard OpenID
/// Connect browser library (oidc-client-ts, in Chromium) and calls userinfo, which takes CORS on
/// the endpoints it fetches; and the edge grants CORS to registered origins only.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SpaSignInTests(SystemFixture system)
{
    /// <summary>The browser bundle of the npm package pinned in spa/package-lock.json (installed by scripts/prereqs --tests).</summary>
    public static readonly string LibraryPath = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", "tests", "Functional.Tests", "spa",
        "node_modules", "oidc-client-ts", "dist", "browser", "oidc-client-ts.min.js"));

    private readonly TestApi _api = new(system);

    [Fact]
    public async Task ASinglePageAppOnItsOwnOriginSignsAUserInWithOidcClientTsAndCallsUserinfo()
    {
        Assert.True(File.Exists(LibraryPath),
            $"The OpenID Connect browser library is missing ({LibraryPath}): run scripts/prereqs --tests (npm ci in tests/Functional.Tests/spa).");
        await using var spa = await SpaServer.StartAsync(LibraryPath);
        Assert.NotEqual(new Uri(system.Issuer).GetLeftPart(UriPartial.Authority), spa.Origin);
        var clientId = await CreateSpaClientAsync(spa.CallbackUrl);
        var (userName, sysId, password) = await _api.CreateSignInUserAsync();
        spa.Configure(system.Issuer, clientId, "openid profile useraccount");
        // The origin comes from the redirect URI; the edge learns of the new client by event.
        await UntilOriginAsync(spa.Origin, allowed: true);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        var problems = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && (message.Text.Contains("CORS", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Access-Control", StringComparison.OrdinalIgnoreCase)))
            {
                problems.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Enqueue("page error: " + error);
        // A fetch that CORS blocks fails as a request (net::ERR_FAILED); one cut short by a navigation is no problem.
        page.RequestFailed += (_, request) =>
        {
            if (request.Failure != "net::ERR_ABORTED")
            {
                problems.Enqueue($"failed: {request.Method} {request.Url} {request.Failure}");
            }
        };

        await page.GotoAsync(spa.Origin + "/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();
        var result = page.Locator("#result[data-done]");
        await result.WaitForAsync(new() { Timeout = 60_000 });
        Directory.CreateDirectory(BrowserSignInTests.ArtifactDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserSignInTests.ArtifactDirectory, "spa-signed-in.png"), FullPage = true });

        var text = await result.TextContentAsync() ?? "";
        Assert.True(await result.GetAttributeAsync("data-done") == "ok", $"the SPA failed: {text}\n{string.Join("\n", problems)}");
        Assert.StartsWith(spa.CallbackUrl, page.Url, StringComparison.Ordinal);
        Assert.Equal(userName, await page.Locator("#user").TextContentAsync());
        var outcome = JsonDocument.Parse(text).RootElement;
        // The ID token's subject (the library merged the userinfo it fetched itself: loadUserInfo) ...
        Assert.Equal(sysId, outcome.GetProperty("profile").GetProperty("sub").GetString());
        Assert.Equal(userName, outcome.GetProperty("profile").GetProperty("preferred_username").GetString());
        // ... userinfo fetched by the page with the bearer token (a preflighted request) ...
        Assert.Equal(200, outcome.GetProperty("userinfoStatus").GetInt32());
        Assert.Equal(sysId, outcome.GetProperty("userinfo").GetProperty("sub").GetString());
        Assert.Equal(userName, outcome.GetProperty("userinfo").GetProperty("preferred_username").GetString());
        // ... the JWKS, the revocation through the library, and the refusal after it, with its challenge readable.
        Assert.True(outcome.GetProperty("jwksKeys").GetInt32() > 0);
        Assert.Equal(401, outcome.GetProperty("afterRevocationStatus").GetInt32());
        Assert.Contains("invalid_token", outcome.GetProperty("afterRevocationChallenge").GetString());
        Assert.Empty(problems);
    }

    [Fact]
    public async Task PreflightsAndAnswersGetCorsOnlyForRegisteredOriginsNeverAWildcardAndAlwaysVaryByOrigin()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var registered = $"https://spa-{suffix}.example.test";
        var stranger = $"https://evil-{suffix}.example.test";
        var clientId = await CreateSpaClientAsync($"{registered}/callback");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.Equal(new[] { registered }, stored.GetProperty("allowedOrigins").EnumerateArray().Select(o => o.GetString()!).ToArray());
        await UntilOriginAsync(registered, allowed: true);

        foreach (var (path, method) in new[]
        {
            ("/.well-known/openid-configuration", "GET"), ("/.well-known/oauth-authorization-server", "GET"), ("/oauth/jwks", "GET"),
            ("/oauth/token", "POST"), ("/oauth_token.do", "POST"), ("/oauth/userinfo", "GET"), ("/oauth/revoke", "POST"), ("/oauth/logout", "GET"),
        })
        {
            using var allowed = await PreflightAsync(path, registered, method);
            Assert.True(allowed.StatusCode == HttpStatusCode.NoContent, $"{path}: {allowed.StatusCode}");
            Assert.Equal(registered, Header(allowed, "Access-Control-Allow-Origin"));
            Assert.Contains(method, Header(allowed, "Access-Control-Allow-Methods"));
            Assert.Contains("Authorization", Header(allowed, "Access-Control-Allow-Headers"));
            Assert.NotNull(Header(allowed, "Access-Control-Max-Age"));
            Assert.Null(Header(allowed, "Access-Control-Allow-Credentials"));
            Assert.Contains("Origin", allowed.Headers.Vary);

            using var refused = await PreflightAsync(path, stranger, method);
            Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
            Assert.Null(Header(refused, "Access-Control-Allow-Methods"));
            Assert.Contains("Origin", refused.Headers.Vary);
        }

        // Actual answers: the exact origin for a registered one (errors included, with their challenge readable), nothing for others.
        using var discovery = await SendWithOriginAsync(HttpMethod.Get, "/.well-known/openid-configuration", registered);
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(registered, Header(discovery, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", discovery.Headers.Vary);
        using var foreign = await SendWithOriginAsync(HttpMethod.Get, "/oauth/jwks", stranger);
        Assert.Equal(HttpStatusCode.OK, foreign.StatusCode);
        Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", foreign.Headers.Vary);
        using var unauthenticated = await SendWithOriginAsync(HttpMethod.Get, "/oauth/userinfo", registered);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(registered, Header(unauthenticated, "Access-Control-Allow-Origin"));
        Assert.Contains("WWW-Authenticate", Header(unauthenticated, "Access-Control-Expose-Headers"));
        using var badCode = await SendWithOriginAsync(HttpMethod.Post, "/oauth/token", registered, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = "no-such-code", ["client_id"] = clientId,
            ["redirect_uri"] = $"{registered}/callback", ["code_verifier"] = new string('v', 43),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, badCode.StatusCode);
        Assert.Equal(registered, Header(badCode, "Access-Control-Allow-Origin"));
        // A back-end caller sends no Origin and gets no CORS headers; the answer still varies by Origin for caches.
        using var jwks = await system.Edge.GetAsync("/oauth/jwks");
        Assert.Null(Header(jwks, "Access-Control-Allow-Origin"));
        Assert.Contains("Origin", jwks.Headers.Vary);
    }

    [Fact]
    public async Task ExplicitOriginsAreNormalizedReplaceTheDefaultAndStopWorkingOnceRemoved()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var redirect = $"https://spa-{suffix}.example.test/callback";
        var named = $"https://app-{suffix}.example.test:8443";
        var clientId = await CreateSpaClientAsync(redirect, [$"HTTPS://APP-{suffix}.example.test:8443", named]);
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.Equal(new[] { named }, stored.GetProperty("allowedOrigins").EnumerateArray().Select(o => o.GetString()!).ToArray());
        await UntilOriginAsync(named, allowed: true);
        using (var redirectOrigin = await PreflightAsync("/oauth/token", $"https://spa-{suffix}.example.test", "POST"))
        {
            Assert.Null(Header(redirectOrigin, "Access-Control-Allow-Origin"));
        }

        var updated = await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", SpaClient(redirect, []));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Empty((await _api.ReadAsync(updated)).GetProperty("allowedOrigins").EnumerateArray());
        await UntilOriginAsync(named, allowed: false);
    }

    [Fact]
    public async Task OriginsWithAPathAWildcardOrPlainHttpAreRefusedByField()
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", SpaClient("https://spa.example.test/callback",
            ["https://ok.example.test", "https://spa.example.test/", "*", "http://plain.example.test", "https://spa.example.test/app"]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await _api.ReadAsync(response)).GetProperty("errors");
        Assert.False(errors.TryGetProperty("allowedOrigins[0]", out _));
        foreach (var field in new[] { "allowedOrigins[1]", "allowedOrigins[2]", "allowedOrigins[3]", "allowedOrigins[4]" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }
    }

    private static object SpaClient(string redirectUri, string[]? allowedOrigins) => new
    {
        name = "Field Service SPA",
        @public = true,
        grantTypes = new[] { "authorization_code" },
        redirectUris = new[] { redirectUri },
        scopes = new[] { "openid", "profile", "useraccount" },
        allowedOrigins,
    };

    private async Task<string> CreateSpaClientAsync(string redirectUri, string[]? allowedOrigins = null)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", SpaClient(redirectUri, allowedOrigins));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("clientId").GetString()!;
    }

    /// <summary>Waits until the edge answers a preflight from <paramref name="origin"/> with (or without) its CORS grant.</summary>
    private async Task UntilOriginAsync(string origin, bool allowed) =>
        await TestApi.EventuallyAsync(async () =>
        {
            using var response = await PreflightAsync("/oauth/token", origin, "POST");
            return (Header(response, "Access-Control-Allow-Origin") == origin) == allowed;
        }, TimeSpan.FromSeconds(10), $"the edge {(allowed ? "allowing" : "refusing")} {origin}");

    private Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization");
        return SendAsync(request);
    }

    private Task<HttpResponseMessage> SendWithOriginAsync(HttpMethod method, string path, string origin, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Origin", origin);
        return SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            return await system.Edge.SendAsync(request);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    /// <summary>The single-page app: two pages, its settings and the library, served on a loopback origin of its own.</summary>
    private sealed class SpaServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile string _settings = "{}";

        private SpaServer(WebApplication app) => _app = app;

        /// <summary>scheme://host:port, as the browser sends it in Origin.</summary>
        public string Origin { get; private set; } = "";

        public string CallbackUrl => Origin + "/callback.html";

        public static async Task<SpaServer> StartAsync(string libraryPath)
        {
            var library = await File.ReadAllBytesAsync(libraryPath);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new SpaServer(app);
            app.MapGet("/", () => Results.Content(IndexPage, "text/html; charset=utf-8"));
            app.MapGet("/callback.html", () => Results.Content(CallbackPage, "text/html; charset=utf-8"));
            app.MapGet("/settings.js", () => Results.Content($"window.spaSettings = {server._settings};", "text/javascript"));
            app.MapGet("/oidc-client-ts.min.js", () => Results.Bytes(library, "text/javascript"));
            app.MapGet("/favicon.ico", () => Results.NoContent());
            await app.StartAsync();
            server.Origin = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return server;
        }

        /// <summary>The library's settings as an app would ship them: the issuer, its client id, the code flow (PKCE is the library's default).</summary>
        public void Configure(string authority, string clientId, string scope) => _settings = JsonSerializer.Serialize(new
        {
            authority,
            client_id = clientId,
            redirect_uri = CallbackUrl,
            response_type = "code",
            scope,
            loadUserInfo = true,
            automaticSilentRenew = false,
            monitorSession = false,
        });

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private const string IndexPage = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Field Service SPA</title>
            <script src="/oidc-client-ts.min.js"></script><script src="/settings.js"></script></head>
            <body>
            <h1>Field Service SPA</h1>
            <button id="login" type="button">Log in</button>
            <pre id="status"></pre>
            <script>
              const manager = new oidc.UserManager(window.spaSettings);
              document.getElementById('login').addEventListener('click', () =>
                manager.signinRedirect().catch(e => { document.getElementById('status').textContent = 'error: ' + e.message; }));
            </script>
            </body>
            </html>
            """;

        // Completes the sign-in (token request), then does what an app does with the token: userinfo with
        // fetch, the JWKS, revocation through the library, and userinfo again (refused, challenge readable).
        private const string CallbackPage = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Field Service SPA</title>
            <script src="/oidc-client-ts.min.js"></script><script src="/settings.js"></script></head>
            <body>
            <p>Signed in as <span id="user"></span></p>
            <pre id="result"></pre>
            <script>
              (async () => {
                const result = document.getElementById('result');
                try {
                  const manager = new oidc.UserManager(window.spaSettings);
                  const user = await manager.signinRedirectCallback();
                  const metadata = await manager.metadataService.getMetadata();
                  const bearer = { headers: { Authorization: 'Bearer ' + user.access_token } };
                  const userinfo = await fetch(metadata.userinfo_endpoint, bearer);
                  const claims = await userinfo.json();
                  const jwks = await (await fetch(metadata.jwks_uri)).json();
                  await manager.revokeTokens(['access_token']);
                  const revoked = await fetch(metadata.userinfo_endpoint, bearer);
                  document.getElementById('user').textContent = claims.preferred_username;
                  result.textContent = JSON.stringify({
                    profile: user.profile, userinfo: claims, userinfoStatus: userinfo.status, jwksKeys: jwks.keys.length,
                    afterRevocationStatus: revoked.status, afterRevocationChallenge: revoked.headers.get('WWW-Authenticate'),
                  });
                  result.dataset.done = 'ok';
                } catch (e) {
                  result.textContent = String((e && e.stack) || e);
                  result.dataset.done = 'error';
                }
              })();
            </script>
            </body>
            </html>
            """;
    }
}
