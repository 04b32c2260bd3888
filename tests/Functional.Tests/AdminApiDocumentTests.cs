using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.Playwright;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The admin API's contract (<c>/api/admin/openapi.json</c>, merged by the edge from every service's own)
/// and its Scalar reference (<c>/api/admin/docs</c>): read with Microsoft.OpenApi's reader, real answers
/// validated against it, the page loaded in a real browser that must ask no other origin for anything.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AdminApiDocumentTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    /// <summary>Every admin operation the edge serves: a new one without a description fails here.</summary>
    private static readonly string[] Operations =
    [
        "GET /api/admin/users", "POST /api/admin/users", "GET /api/admin/users/{userName}", "PUT /api/admin/users/{userName}",
        "DELETE /api/admin/users/{userName}", "POST /api/admin/users/{userName}/password",
        "GET /api/admin/users/{userName}/consents", "DELETE /api/admin/users/{userName}/consents", "DELETE /api/admin/users/{userName}/consents/{clientId}",
        "GET /api/admin/consents", "DELETE /api/admin/consents",
        "GET /api/admin/clients", "POST /api/admin/clients", "GET /api/admin/clients/{clientId}", "PUT /api/admin/clients/{clientId}",
        "DELETE /api/admin/clients/{clientId}", "POST /api/admin/clients/{clientId}/secret",
        "GET /api/admin/registration-policies", "GET /api/admin/registration-policies/{name}", "PUT /api/admin/registration-policies/{name}",
        "DELETE /api/admin/registration-policies/{name}",
        "GET /api/admin/registration-tokens", "POST /api/admin/registration-tokens", "DELETE /api/admin/registration-tokens/{id}",
        "GET /api/admin/trusts", "POST /api/admin/trusts", "GET /api/admin/trusts/{name}", "PUT /api/admin/trusts/{name}", "DELETE /api/admin/trusts/{name}",
        "DELETE /api/admin/trusts/{name}/links/{userSysId}", "POST /api/admin/trusts/{name}/check",
        "GET /api/admin/scopes", "POST /api/admin/scopes", "GET /api/admin/scopes/{name}", "PUT /api/admin/scopes/{name}", "DELETE /api/admin/scopes/{name}",
        "GET /api/admin/api-policies", "POST /api/admin/api-policies", "POST /api/admin/api-policies/try", "GET /api/admin/api-policies/{name}", "PUT /api/admin/api-policies/{name}",
        "DELETE /api/admin/api-policies/{name}",
        "GET /api/admin/keys", "POST /api/admin/keys/rotate", "POST /api/admin/keys/{kid}/revoke",
        "GET /api/admin/tokens", "POST /api/admin/tokens/revoke",
        "GET /api/admin/audit/events",
    ];

    private async Task<(string Text, JsonObject Json)> DocumentAsync()
    {
        using var response = await _api.Edge.GetAsync("/api/admin/openapi.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (text, (JsonObject)JsonNode.Parse(text)!);
    }

    [Fact]
    public async Task TheMergedContractIsValidOpenApi31AndDescribesEveryAdminOperationWithItsSecurityScheme()
    {
        var (text, json) = await DocumentAsync();
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var read = await OpenApiDocument.LoadAsync(stream, "json");
        Assert.Empty(read.Diagnostic!.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, read.Diagnostic.SpecificationVersion);
        var document = read.Document!;

        var described = document.Paths.SelectMany(path => path.Value.Operations!.Select(op => $"{op.Key.Method.ToUpperInvariant()} {path.Key}")).Order().ToArray();
        Assert.Equal(Operations.Order(), described);
        Assert.Equal(system.Issuer, Assert.Single(document.Servers!).Url);

        var scheme = document.Components!.SecuritySchemes!["oauth2"];
        Assert.Equal(SecuritySchemeType.OAuth2, scheme.Type);
        Assert.Equal(system.Issuer + "/oauth/token", scheme.Flows!.ClientCredentials!.TokenUrl!.ToString());
        Assert.Equal(system.Issuer + "/oauth/authorize", scheme.Flows.AuthorizationCode!.AuthorizationUrl!.ToString());
        Assert.Contains("admin.api", scheme.Flows.ClientCredentials.Scopes!.Keys);
        Assert.Equal("admin.api", Assert.Single(Assert.Single(json["security"]!.AsArray())!["oauth2"]!.AsArray())!.GetValue<string>());

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations!)
            {
                var name = $"{method.Method} {path}";
                Assert.False(string.IsNullOrEmpty(operation.Summary), $"{name} has a summary");
                Assert.Contains("403", operation.Responses!.Keys);
                Assert.Contains("401", operation.Responses.Keys);
                var success = operation.Responses.Where(r => r.Key.StartsWith('2')).ToList();
                Assert.True(success.Count > 0, $"{name} describes its success");
                foreach (var (status, response) in success.Where(r => r.Key != "204"))
                {
                    Assert.True(response.Content?.ContainsKey("application/json") == true && response.Content["application/json"].Schema is not null,
                        $"{name} {status} has a JSON schema");
                }
            }
        }

        // Colliding schema names were kept apart on purpose: authorize's ConsentDto is not another service's.
        var schemas = json["components"]!["schemas"]!.AsObject();
        Assert.True(schemas.ContainsKey("ProblemDetails") || schemas.ContainsKey("HttpValidationProblemDetails"), string.Join(", ", schemas.Select(s => s.Key)));
    }

    [Fact]
    public async Task RealAnswersOfTheAdminApisValidateAgainstTheirSchemas()
    {
        var (_, json) = await DocumentAsync();
        var (clientId, _) = await _api.CreateClientAsync(["useraccount"]);
        var (userName, _, _) = await _api.CreateSignInUserAsync();
        var scope = await _api.CreateScopeAsync("docs");
        var samples = new (string Method, string Template, string Path, object? Body, HttpStatusCode Status)[]
        {
            ("GET", "/api/admin/clients", "/api/admin/clients?limit=5", null, HttpStatusCode.OK),
            ("GET", "/api/admin/clients/{clientId}", $"/api/admin/clients/{clientId}", null, HttpStatusCode.OK),
            ("GET", "/api/admin/clients/{clientId}", "/api/admin/clients/no-such-client-here", null, HttpStatusCode.NotFound),
            ("POST", "/api/admin/clients", "/api/admin/clients", new { name = "Docs sample", grantTypes = new[] { "client_credentials" }, scopes = new[] { "useraccount" } },
                HttpStatusCode.Created),
            ("POST", "/api/admin/clients", "/api/admin/clients", new { name = "", grantTypes = new[] { "no_such_grant" } }, HttpStatusCode.BadRequest),
            ("GET", "/api/admin/users", "/api/admin/users?limit=5", null, HttpStatusCode.OK),
            ("GET", "/api/admin/users/{userName}", $"/api/admin/users/{userName}", null, HttpStatusCode.OK),
            ("GET", "/api/admin/scopes", "/api/admin/scopes", null, HttpStatusCode.OK),
            ("GET", "/api/admin/scopes/{name}", $"/api/admin/scopes/{scope}", null, HttpStatusCode.OK),
            ("GET", "/api/admin/api-policies", "/api/admin/api-policies", null, HttpStatusCode.OK),
            ("GET", "/api/admin/trusts", "/api/admin/trusts", null, HttpStatusCode.OK),
            ("GET", "/api/admin/keys", "/api/admin/keys", null, HttpStatusCode.OK),
            ("GET", "/api/admin/tokens", "/api/admin/tokens?limit=5", null, HttpStatusCode.OK),
            ("POST", "/api/admin/tokens/revoke", "/api/admin/tokens/revoke", new { }, HttpStatusCode.BadRequest),
            ("GET", "/api/admin/consents", "/api/admin/consents?limit=5", null, HttpStatusCode.OK),
            ("GET", "/api/admin/registration-policies", "/api/admin/registration-policies", null, HttpStatusCode.OK),
            ("GET", "/api/admin/registration-tokens", "/api/admin/registration-tokens", null, HttpStatusCode.OK),
        };

        foreach (var (method, template, path, body, status) in samples)
        {
            using var response = await _api.SendAsync(new HttpMethod(method), path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{method} {path}: {(int)response.StatusCode} {text}");
            var media = response.Content.Headers.ContentType!.MediaType!;
            var schema = SchemaOf(json, template, method, ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), media);
            var results = schema.Evaluate(JsonDocument.Parse(text).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(results.IsValid, $"{method} {path} ({(int)status}, {media}) does not validate:\n{SchemaErrors.Of(results)}\n{text}");
        }
    }

    /// <summary>The response schema as a standalone JSON Schema 2020-12: the components become its <c>$defs</c>.</summary>
    private static JsonSchema SchemaOf(JsonObject document, string path, string method, string status, string mediaType)
    {
        var content = document["paths"]?[path]?[method.ToLowerInvariant()]?["responses"]?[status]?["content"]?.AsObject();
        Assert.True(content is not null, $"{method} {path} describes {status}");
        Assert.True(content!.ContainsKey(mediaType), $"{method} {path} {status} describes {mediaType} (has {string.Join(", ", content.Select(c => c.Key))})");
        var schema = content[mediaType]!["schema"]!.DeepClone().AsObject();
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        schema["$defs"] = document["components"]!["schemas"]!.DeepClone();
        var text = schema.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    [Fact]
    public async Task TheReferenceLoadsInARealBrowserFromThisOriginAloneUnderItsOwnNoncedCsp()
    {
        using (var raw = await _api.Edge.GetAsync("/api/admin/docs"))
        {
            var html = await raw.Content.ReadAsStringAsync();
            Assert.True(raw.StatusCode == HttpStatusCode.OK, html);
            var csp = raw.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'nonce-", csp);
            Assert.DoesNotContain("script-src 'self'", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            var nonce = csp.Split("'nonce-")[1].Split('\'')[0];
            Assert.Contains($"nonce=\"{nonce}\"", html);
            Assert.Equal("no-store", raw.Headers.CacheControl?.ToString());
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserSignInTests.LaunchOptions);
        var page = await browser.NewPageAsync();
        var elsewhere = new List<string>();
        var problems = new List<string>();
        var failed = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                failed.Add($"{response.Status} {response.Url}");
            }
        };
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(system.Issuer + "/", StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal)
                && !request.Url.StartsWith("blob:", StringComparison.Ordinal))
            {
                elsewhere.Add(request.Url);
            }
        };
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };

        await page.GotoAsync(system.Issuer + "/api/admin/docs");
        Assert.Equal(system.Issuer + "/api/admin/docs/", page.Url);
        try
        {
            await page.GetByText("List API policies").First.WaitForAsync(new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The reference did not render.\nFailed: {string.Join("; ", failed)}\nConsole: {string.Join("; ", problems)}\n{await page.ContentAsync()}");
        }

        // Every group of the merged contract is in the sidebar.
        foreach (var tag in new[] { "Applications", "Consents", "Scopes", "Signing keys", "Tokens", "Trusts", "Users", "Self-registration" })
        {
            await page.GetByText(tag, new() { Exact = true }).First.WaitForAsync();
        }

        Directory.CreateDirectory(BrowserSignInTests.ArtifactDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserSignInTests.ArtifactDirectory, "api-docs.png") });

        Assert.Empty(elsewhere);
        Assert.DoesNotContain(problems, p => p.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    private string DocsRedirect => system.Issuer + "/api/admin/docs/";

    /// <summary>Signs in through the reference's client; its redirect URI is the reference page itself, on the issuer, which serves the page the code lands on.</summary>
    private async Task<(string Code, string Verifier)> DocsSignInAsync(string userName, string password)
    {
        var verifier = Protocol.Tokens.RefreshTokens.New() + "-v";
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(TestApi.AuthorizePath("oauthaspire-api-docs", DocsRedirect, "admin.api", verifier));
        await browser.SignInAsync(userName, password);
        if (browser.Html.Contains("wants to access", StringComparison.Ordinal))
        {
            await browser.ConsentAsync(true);
        }

        var landed = Assert.Single(browser.Visited, uri => uri.AbsoluteUri.StartsWith(DocsRedirect + "?", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, browser.Last!.StatusCode);
        var query = landed.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("s", query["state"]);
        return (query["code"], verifier);
    }

    [Fact]
    public async Task TheReferencesClientGetsAnAdminTokenByCodeWithPkceAndTheAdminApisAcceptIt()
    {
        var password = await system.ParameterAsync("admin-password");
        var (code, verifier) = await DocsSignInAsync("admin", password);
        var tokens = await _api.RedeemCodeAsync("oauthaspire-api-docs", null, code, verifier, DocsRedirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Contains("admin.api", tokens.Scope ?? "");
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: tokens.AccessToken)).StatusCode);

        // Anyone may sign in through it, but only an administrator's grant carries admin.api.
        var (userName, _, userPassword) = await _api.CreateSignInUserAsync();
        var (userCode, userVerifier) = await DocsSignInAsync(userName, userPassword);
        var userTokens = await _api.RedeemCodeAsync("oauthaspire-api-docs", null, userCode, userVerifier, DocsRedirect);
        Assert.False(userTokens.IsError, userTokens.Raw);
        Assert.DoesNotContain("admin.api", userTokens.Scope ?? "");
        Assert.DoesNotContain("admin.api", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(userTokens.AccessToken).GetPayloadValue<string>("scope") ?? "");
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: userTokens.AccessToken)).StatusCode);
        // Nor does a consent remembered (any web app asking for it): made administrator later, the user would be asked again.
        var (webId, webSecret) = await _api.CreateWebClientAsync(["https://app.example.test/callback"], ["openid", "admin.api"]);
        var web = await _api.CodeFlowAsync(webId, webSecret, userName, userPassword, "openid admin.api");
        Assert.False(web.IsError, web.Raw);
        Assert.DoesNotContain("admin.api", web.Scope ?? "");
        var consent = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/consents?user={userName}&client={webId}"));
        Assert.Equal(["openid"], Assert.Single(consent.GetProperty("items").EnumerateArray()).GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));

        // Public and without a secret: never the client credentials grant.
        var refused = await _api.PostFormAsync("/oauth/token", [new("grant_type", "client_credentials"), new("client_id", "oauthaspire-api-docs")]);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }
}
