using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Security.Cryptography;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 21, dynamic client registration (RFC 7591) and its management (RFC 7592) through the edge:
/// the fixture runs open registration under the policy <c>self-service</c>; initial access tokens
/// select their own policy; what a policy does not allow is refused naming the field; a registered
/// client signs users in; its registration access token reads, replaces (and is replaced) and deletes it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RegistrationTests(SystemFixture system)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    private async Task PolicyAsync(string name, object body)
    {
        var response = await _api.SendAsync(HttpMethod.Put, $"/api/admin/registration-policies/{name}", body);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private Task SelfServiceAsync() => PolicyAsync("self-service", new
    {
        grantTypes = new[] { "authorization_code", "refresh_token" },
        scopes = new[] { "openid", "profile", "useraccount" },
        authMethods = new[] { "client_secret_basic", "private_key_jwt", "none" },
        redirectUris = "https",
    });

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> RegisterAsync(string json, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/register") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await system.Edge.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default, response);
    }

    private async Task<HttpResponseMessage> ManageAsync(HttpMethod method, string clientId, string? token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, $"/oauth/register/{clientId}");
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await system.Edge.SendAsync(request);
    }

    [Fact]
    public async Task AnOpenRegistrationAnswersEveryValueIgnoresUnknownMembersAndTheClientSignsUsersIn()
    {
        await SelfServiceAsync();
        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.Equal(system.Issuer + "/oauth/register", metadata.GetProperty("registration_endpoint").GetString());

        var (status, body, response) = await RegisterAsync($$"""
            {"redirect_uris":["{{Redirect}}"],"client_name":"Expense Reports","scope":"openid useraccount","contacts":["ops@example.com"],
             "logo_uri":"https://app.example.test/logo.png","tos_uri":"https://app.example.test/tos","software_id":"expense-reports",
             "software_version":"2.1","x_vendor_extension":{"anything":true},"client_name#fr":"Notes de frais"}
            """);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore);
        var clientId = body.GetProperty("client_id").GetString()!;
        var secret = body.GetProperty("client_secret").GetString()!;
        Assert.Equal(0, body.GetProperty("client_secret_expires_at").GetInt64());
        Assert.True(body.GetProperty("client_id_issued_at").GetInt64() > 1_700_000_000);
        Assert.Equal($"{system.Issuer}/oauth/register/{clientId}", body.GetProperty("registration_client_uri").GetString());
        Assert.Equal(43, body.GetProperty("registration_access_token").GetString()!.Length);
        Assert.Equal(["authorization_code"], body.GetProperty("grant_types").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["code"], body.GetProperty("response_types").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal("client_secret_basic", body.GetProperty("token_endpoint_auth_method").GetString());
        Assert.Equal("openid useraccount", body.GetProperty("scope").GetString());
        Assert.Equal("Expense Reports", body.GetProperty("client_name").GetString());
        Assert.Equal("expense-reports", body.GetProperty("software_id").GetString());
        Assert.Equal("https://app.example.test/tos", body.GetProperty("tos_uri").GetString());
        Assert.False(body.TryGetProperty("x_vendor_extension", out _));

        // Its consent page says it registered itself, and shows no logo of its choosing.
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        using (var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation))
        {
            await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", new string('v', 43)));
            await browser.SignInAsync(userName, password);
            Assert.Contains("Expense Reports wants to access your account", browser.Html, StringComparison.Ordinal);
            Assert.Contains("Unverified application.", browser.Html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", browser.Html, StringComparison.Ordinal);
        }

        // An administrator's client is shown with its logo and without the mark.
        var (webClient, _) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        using (var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation))
        {
            await browser.GetAsync(TestApi.AuthorizePath(webClient, Redirect, "openid", new string('v', 43)));
            await browser.SignInAsync(userName, password);
            Assert.Contains("<img src=\"https://app.example.test/logo.png\"", browser.Html, StringComparison.Ordinal);
            Assert.DoesNotContain("Unverified application", browser.Html, StringComparison.Ordinal);
        }

        // A full code flow with the new client (PKCE is required of self-registered clients).
        var tokens = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid useraccount", Redirect);
        Assert.False(tokens.IsError, tokens.Raw);

        // Administrators see where it came from, and may deactivate it like any other.
        var admin = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.Equal("registration", admin.GetProperty("origin").GetString());
        var (adminMade, _) = await _api.CreateClientAsync(["useraccount"]);
        Assert.Equal("admin", (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{adminMade}"))).GetProperty("origin").GetString());
        var deactivated = await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", new
        {
            name = "Expense Reports", redirectUris = new[] { Redirect }, grantTypes = new[] { "authorization_code" }, scopes = new[] { "openid", "useraccount" },
            pkceRequired = true, active = false,
        });
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.False((await _api.ReadAsync(deactivated)).GetProperty("active").GetBoolean());
        await TestApi.EventuallyAsync(async () => TestApi.OAuthError(await _api.RedeemCodeAsync(clientId, secret, "junk-code", "junk-verifier-" + new string('v', 40),
            Redirect)) == "invalid_client", TimeSpan.FromSeconds(10), "the deactivated self-registered client refused");
    }

    [Theory]
    [InlineData("""{"redirect_uris":["http://app.example.test/cb"]}""", "invalid_redirect_uri", "redirect_uris[0]")]
    [InlineData("""{"redirect_uris":["https://app.example.test/cb"],"scope":"openid admin.api"}""", "invalid_client_metadata", "scope")]
    [InlineData("""{"redirect_uris":["https://app.example.test/cb"],"grant_types":["authorization_code","password"]}""", "invalid_client_metadata", "grant_types")]
    [InlineData("""{"redirect_uris":["https://app.example.test/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[]},"jwks_uri":"https://app.example.test/jwks"}""", "invalid_client_metadata", "jwks")]
    [InlineData("""{"redirect_uris":["https://app.example.test/cb"],"software_statement":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}""", "unapproved_software_statement", "software_statement")]
    [InlineData("""{"redirect_uris":["https://app.example.test/cb"],"scope":"no-such-scope"}""", "invalid_client_metadata", "scope")]
    [InlineData("""["not an object"]""", "invalid_client_metadata", "body")]
    public async Task WhatThePolicyOrTheRfcDoesNotAllowIsRefusedNamingTheField(string json, string error, string field)
    {
        await SelfServiceAsync();
        var (status, body, _) = await RegisterAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.StartsWith(field, body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInitialAccessTokenRegistersUnderItsOwnPolicyAsOftenAsItMayAndNoMore()
    {
        await PolicyAsync("partners", new { grantTypes = new[] { "authorization_code" }, scopes = new[] { "useraccount" }, authMethods = new[] { "client_secret_basic" } });
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/registration-tokens", new { policy = "partners", maxUses = 1, expiresIn = 3600 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await _api.ReadAsync(created)).GetProperty("token").GetString()!;
        var listed = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/registration-tokens"));
        Assert.DoesNotContain(token, listed.GetRawText(), StringComparison.Ordinal);

        var (status, body, _) = await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"]}""", token);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal("useraccount", body.GetProperty("scope").GetString());

        // Used up: refused with the bearer challenge; so is an unknown token.
        var (again, refusal, response) = await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"]}""", token);
        Assert.Equal(HttpStatusCode.Unauthorized, again);
        Assert.Equal("invalid_token", refusal.GetProperty("error").GetString());
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"]}""", "not-a-token")).Status);

        // A revoked token registers nothing.
        var second = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/registration-tokens", new { policy = "partners" }));
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/registration-tokens/{second.GetProperty("id").GetString()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"]}""", second.GetProperty("token").GetString())).Status);
    }

    [Fact]
    public async Task TheRegistrationAccessTokenReadsReplacesAndDeletesItsClientAndNothingElse()
    {
        await SelfServiceAsync();
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (_, body, _) = await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"],"client_name":"Old name","scope":"openid useraccount"}""");
        var clientId = body.GetProperty("client_id").GetString()!;
        var secret = body.GetProperty("client_secret").GetString()!;
        var token = body.GetProperty("registration_access_token").GetString()!;
        var (other, otherBody, _) = await RegisterAsync($$"""{"redirect_uris":["{{Redirect}}"]}""");
        Assert.Equal(HttpStatusCode.Created, other);

        var read = await ManageAsync(HttpMethod.Get, clientId, token);
        var shown = await _api.ReadAsync(read);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("Old name", shown.GetProperty("client_name").GetString());
        Assert.False(shown.TryGetProperty("client_secret", out _));

        // A wrong token, another client's token, an unknown client: the same 401.
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, clientId, "wrong")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, clientId, otherBody.GetProperty("registration_access_token").GetString())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, "no-such-client", token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, clientId, null)).StatusCode);

        // PUT replaces within the policy: never beyond it, never another id, never a chosen secret.
        var escape = await ManageAsync(HttpMethod.Put, clientId, token,
            $$"""{"client_id":"{{clientId}}","redirect_uris":["{{Redirect}}"],"scope":"openid admin.api"}""");
        Assert.Equal(HttpStatusCode.BadRequest, escape.StatusCode);
        Assert.Equal("invalid_client_metadata", (await _api.ReadAsync(escape)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await ManageAsync(HttpMethod.Put, clientId, token,
            $$"""{"client_id":"{{clientId}}","client_secret":"chosen-by-me","redirect_uris":["{{Redirect}}"]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ManageAsync(HttpMethod.Put, clientId, token,
            $$"""{"client_id":"someone-else","redirect_uris":["{{Redirect}}"]}""")).StatusCode);

        var replaced = await ManageAsync(HttpMethod.Put, clientId, token,
            $$"""{"client_id":"{{clientId}}","client_secret":"{{secret}}","redirect_uris":["{{Redirect}}"],"client_name":"New name","scope":"useraccount"}""");
        var now = await _api.ReadAsync(replaced);
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, now.ToString());
        Assert.Equal("New name", now.GetProperty("client_name").GetString());
        Assert.Equal("useraccount", now.GetProperty("scope").GetString());
        var rotated = now.GetProperty("registration_access_token").GetString()!;
        Assert.NotEqual(token, rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, clientId, token)).StatusCode);

        // Its tokens are cut off when it deletes itself.
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var tokens = await _api.CodeFlowAsync(clientId, secret, userName, password, "useraccount", Redirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(HttpStatusCode.NoContent, (await ManageAsync(HttpMethod.Delete, clientId, rotated)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, clientId, rotated)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}")).StatusCode);
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(10), "the deleted client's token refused");

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "ClientDeleted"
            && e.GetProperty("clientId").GetString() == clientId, TimeSpan.FromSeconds(15));
        string[] types = [.. events.Where(e => e.TryGetProperty("clientId", out var c) && c.GetString() == clientId).Select(e => e.GetProperty("type").GetString()!)];
        Assert.Contains("ClientRegistered", types);
        Assert.Contains("ClientCreated", types);
        Assert.Contains("ClientRegistrationManaged", types);
        Assert.Contains("ClientDeleted", types);
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "RegistrationManagementRefused");
        Assert.DoesNotContain(events, e => e.GetRawText().Contains(token, StringComparison.Ordinal) || e.GetRawText().Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASelfRegisteredClientNeverUsedExpiresAfterItsPolicysTimeAndOneInUseStays()
    {
        var application = "expiry-app-" + Guid.NewGuid().ToString("N")[..8];
        await _api.CreateUserAsync(application, []);
        await PolicyAsync("expiring", new
        {
            grantTypes = new[] { "client_credentials" }, scopes = new[] { "useraccount" }, authMethods = new[] { "client_secret_basic" },
            applicationUser = application, unusedExpiryDays = 1,
        });
        var iat = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/registration-tokens", new { policy = "expiring" })))
            .GetProperty("token").GetString()!;
        const string Json = """{"grant_types":["client_credentials"],"response_types":[],"scope":"useraccount"}""";
        var (_, unused, _) = await RegisterAsync(Json, iat);
        var (_, used, _) = await RegisterAsync(Json, iat);
        var unusedId = unused.GetProperty("client_id").GetString()!;
        var usedId = used.GetProperty("client_id").GetString()!;
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);

        // The one in use gets a token: the token service records its first use once, and the registry learns of it.
        var token = await _api.ClientCredentialsAsync(usedId, used.GetProperty("client_secret").GetString()!, "useraccount");
        Assert.False(token.IsError, token.Raw);
        await using var registry = new NpgsqlConnection((await system.ProcessEnvironmentAsync("client-registry"))["ConnectionStrings__clientregistrydb"]);
        await registry.OpenAsync();
        await TestApi.EventuallyAsync(async () => await ScalarAsync(registry, "SELECT first_used_at IS NOT NULL FROM oauth_client WHERE client_id = @id", usedId) is true,
            TimeSpan.FromSeconds(15), "the first use recorded in the registry");
        Assert.Equal(false, await ScalarAsync(registry, "SELECT first_used_at IS NOT NULL FROM oauth_client WHERE client_id = @id", unusedId));

        // Two days pass for both (the policy allows one).
        Assert.Equal(2L, await ScalarAsync(registry, """
            WITH aged AS (UPDATE oauth_client SET created_at = created_at - interval '2 days' WHERE client_id IN (@id, @other) RETURNING 1)
            SELECT count(*) FROM aged
            """, unusedId, usedId));

        await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{unusedId}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(20), "the never-used client deleted");
        Assert.Equal(HttpStatusCode.Unauthorized, (await ManageAsync(HttpMethod.Get, unusedId, unused.GetProperty("registration_access_token").GetString())).StatusCode);
        // Two more rounds later, the one in use is still there.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(false, await ScalarAsync(registry, "SELECT deleted_at IS NOT NULL FROM oauth_client WHERE client_id = @id", usedId));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{usedId}")).StatusCode);

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "UnusedClientExpired" && e.GetProperty("clientId").GetString() == unusedId,
            TimeSpan.FromSeconds(15));
        var expired = Assert.Single(events, e => e.GetProperty("type").GetString() == "UnusedClientExpired");
        Assert.Equal(unusedId, expired.GetProperty("clientId").GetString());
        Assert.Equal("expiring", expired.GetProperty("policy").GetString());
        Assert.Equal(1, expired.GetProperty("unusedDays").GetInt32());
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "ClientFirstUsed" && e.GetProperty("clientId").GetString() == usedId);
    }

    [Fact]
    public async Task ASoftwareStatementFromTheTrustedPublisherOverridesTheRequestAndOthersAreRefused()
    {
        const string Publisher = "https://publisher.example.test";
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(false))) { KeyId = "pub" });
        await PolicyAsync("published", new
        {
            grantTypes = new[] { "authorization_code" }, scopes = new[] { "openid", "useraccount" }, authMethods = new[] { "client_secret_basic" },
            softwareStatementIssuer = Publisher,
            softwareStatementKeys = new { keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid } } },
            softwareStatementRequired = true,
        });
        var shown = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/registration-policies/published"));
        Assert.Equal(Publisher, shown.GetProperty("softwareStatementIssuer").GetString());
        Assert.True(shown.GetProperty("softwareStatementRequired").GetBoolean());
        var iat = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/registration-tokens", new { policy = "published" })))
            .GetProperty("token").GetString()!;

        string Statement(ECDsa signer, string issuer = Publisher) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object>
            {
                ["software_id"] = "published-app", ["client_name"] = "Published App", ["redirect_uris"] = new[] { Redirect },
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signer) { KeyId = "pub" }, "ES256"),
        });

        var statement = Statement(key);
        var (status, body, _) = await RegisterAsync($$"""
            {"software_statement":"{{statement}}","client_name":"Typed in","redirect_uris":["https://elsewhere.example.test/cb"],"scope":"useraccount"}
            """, iat);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal("Published App", body.GetProperty("client_name").GetString());
        Assert.Equal([Redirect], body.GetProperty("redirect_uris").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal("published-app", body.GetProperty("software_id").GetString());
        Assert.Equal(statement, body.GetProperty("software_statement").GetString());
        var read = await _api.ReadAsync(await ManageAsync(HttpMethod.Get, body.GetProperty("client_id").GetString()!,
            body.GetProperty("registration_access_token").GetString()));
        Assert.Equal(statement, read.GetProperty("software_statement").GetString());

        // Its claims are held to the policy like the request's.
        var greedy = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Publisher,
            Claims = new Dictionary<string, object> { ["redirect_uris"] = new[] { Redirect }, ["scope"] = "openid admin.api" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "pub" }, "ES256"),
        });
        var (greedyStatus, greedyRefusal, _) = await RegisterAsync($$"""{"software_statement":"{{greedy}}","scope":"openid"}""", iat);
        Assert.Equal(HttpStatusCode.BadRequest, greedyStatus);
        Assert.StartsWith("scope: ", greedyRefusal.GetProperty("error_description").GetString(), StringComparison.Ordinal);

        // Required here: none, another key, another issuer are each refused.
        async Task RefusedAsync(string json, string error)
        {
            var (refusedStatus, refusal, _) = await RegisterAsync(json, iat);
            Assert.Equal(HttpStatusCode.BadRequest, refusedStatus);
            Assert.Equal(error, refusal.GetProperty("error").GetString());
            Assert.StartsWith("software_statement: ", refusal.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }

        await RefusedAsync($$"""{"redirect_uris":["{{Redirect}}"]}""", "invalid_software_statement");
        await RefusedAsync($$"""{"software_statement":"{{Statement(stranger)}}"}""", "invalid_software_statement");
        await RefusedAsync($$"""{"software_statement":"{{Statement(key, "https://other.example.test")}}"}""", "unapproved_software_statement");

        // The open policy trusts no publisher.
        await SelfServiceAsync();
        var (openStatus, open, _) = await RegisterAsync($$"""{"software_statement":"{{statement}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, openStatus);
        Assert.Equal("unapproved_software_statement", open.GetProperty("error").GetString());
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, string id, string? other = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("other", other ?? "");
        return await command.ExecuteScalarAsync();
    }
}
