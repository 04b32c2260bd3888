using System.Collections.Concurrent;
using System.Net;
using Aspire.Hosting.Testing;
using Npgsql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 21, Client ID Metadata Documents: a client_id that is a URL names the client's own metadata,
/// fetched by the registry (on loopback here, allowed by the fixture) when the authorization endpoint
/// first meets it, held to the policy <c>documents</c>, cached, and refused when it does not name
/// itself, is too large, redirects, is on a private address or cannot be fetched (a refusal remembered a minute).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MetadataDocumentTests(SystemFixture system) : IAsyncLifetime
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _documents = new();
    private readonly ConcurrentDictionary<string, int> _fetches = new();
    private WebApplication? _server;
    private string _base = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _server = builder.Build();
        _server.MapGet("/clients/{name}", (string name, HttpContext context) =>
        {
            _fetches.AddOrUpdate(name, 1, (_, n) => n + 1);
            return _documents.TryGetValue(name, out var answer) ? answer(context) : Results.NotFound().ExecuteAsync(context);
        });
        await _server.StartAsync();
        _base = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var policy = await _api.SendAsync(HttpMethod.Put, "/api/admin/registration-policies/documents", new
        {
            grantTypes = new[] { "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code" },
            scopes = new[] { "openid", "useraccount" }, authMethods = new[] { "none", "private_key_jwt" }, redirectUris = "https",
        });
        Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private string Publish(string name, Func<string, string> json, string? cacheControl = null, int status = 200, string? location = null)
    {
        var url = $"{_base}/clients/{name}";
        _documents[name] = context =>
        {
            context.Response.StatusCode = status;
            if (cacheControl is not null)
            {
                context.Response.Headers.CacheControl = cacheControl;
            }

            if (location is not null)
            {
                context.Response.Headers.Location = location;
                return Task.CompletedTask;
            }

            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(json(url));
        };
        return url;
    }

    private static string Document(string url) =>
        $$"""{"client_id":"{{url}}","client_name":"Notes for MCP","redirect_uris":["{{Redirect}}"],"grant_types":["authorization_code"],"scope":"openid useraccount"}""";

    /// <summary>The authorization request's first answer: a redirect to sign in when the client was resolved, else the error page.</summary>
    private async Task<HttpResponseMessage> AuthorizeAsync(string clientId)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = system.EdgeUrl };
        return await http.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", new string('v', 43)));
    }

    [Fact]
    public async Task AClientIdUrlSignsAUserInWithPkceConsentedEveryTimeAndItsDocumentIsCached()
    {
        var metadata = await _api.ReadAsync(await system.Edge.GetAsync("/.well-known/oauth-authorization-server"));
        Assert.True(metadata.GetProperty("client_id_metadata_document_supported").GetBoolean());
        var clientId = Publish("notes.json", Document, cacheControl: "max-age=3600");
        var (userName, _, password) = await _api.CreateSignInUserAsync();

        var tokens = await _api.CodeFlowAsync(clientId, null, userName, password, "openid useraccount", Redirect);
        Assert.False(tokens.IsError, tokens.Raw);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: tokens.AccessToken)).StatusCode);

        // The page names the host that published it; consent is asked again, never remembered.
        using (var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation))
        {
            await browser.GetAsync(TestApi.AuthorizePath(clientId, Redirect, "openid", new string('v', 43)));
            await browser.SignInAsync(userName, password);
            Assert.Contains("Notes for MCP wants to access your account", browser.Html, StringComparison.Ordinal);
            Assert.Contains("Unverified application from 127.0.0.1.", browser.Html, StringComparison.Ordinal);
        }

        Assert.Equal(1, _fetches["notes.json"]);

        // Beyond the policy: refused, and nothing stored changes.
        var greedy = Publish("greedy.json", url => Document(url).Replace("openid useraccount", "openid admin.api", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthorizeAsync(greedy)).StatusCode);
    }

    [Fact]
    public async Task DocumentsThatDoNotNameThemselvesRedirectAreTooLargeOrPrivateAreRefusedAndRememberedAMinute()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        // The redirect leads to a document that would do, were redirects followed.
        var moved = $"{_base}/clients/moved.json";
        var target = Publish("moved-target.json", _ => Document(moved));
        Publish("moved.json", Document, status: 302, location: target);
        var privateUrl = "https://10.20.30.40/clients/private.json";
        var refusals = new Dictionary<string, (string What, string Field, string Reason)>
        {
            [Publish("mismatch.json", _ => Document("https://someone-else.example/client.json"))] = ("names another client", "client_id", "own URL"),
            [moved] = ("redirects", "document", "answered 302"),
            [Publish("huge.json", url => Document(url)[..^1] + $$""","padding":"{{new string('x', 6000)}}"}""")] = ("is over 5 KB", "document", "larger than"),
            [Publish("secret.json", url => Document(url)[..^1] + ""","client_secret":"mine"}""")] = ("holds a secret", "client_secret", "no shared secret"),
            [Publish("machine.json", url => $$$"""
                {"client_id":"{{{url}}}","grant_types":["client_credentials"],"response_types":[],"token_endpoint_auth_method":"private_key_jwt",
                 "jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}}
                """)] = ("acts without a user", "grant_types", "not for clients described by a metadata document"),
            [privateUrl] = ("is on a private address", "document", "10.20.30.40 is in"),
            [$"{_base}/clients/missing.json"] = ("is not there", "document", "answered 404"),
        };
        foreach (var (clientId, (what, _, _)) in refusals)
        {
            var answer = await AuthorizeAsync(clientId);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"a document that {what}: {answer.StatusCode}");
            Assert.Contains("text/html", answer.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        }

        Assert.False(_fetches.ContainsKey("moved-target.json"));
        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "ClientMetadataDocumentRefused"
            && e.GetProperty("clientId").GetString() == $"{_base}/clients/missing.json", TimeSpan.FromSeconds(15));
        foreach (var (clientId, (what, field, reason)) in refusals)
        {
            var refused = Assert.Single(events, e => e.GetProperty("type").GetString() == "ClientMetadataDocumentRefused" && e.GetProperty("clientId").GetString() == clientId);
            Assert.True(refused.GetProperty("field").GetString() == field, $"a document that {what}: field {refused.GetProperty("field")}");
            Assert.Contains(reason, refused.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        // A refusal is remembered for a minute: one fetch and one audit event per URL.
        var flaky = Publish("flaky.json", Document, status: 500);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthorizeAsync(flaky)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthorizeAsync(flaky)).StatusCode);
        Assert.Equal(1, _fetches["flaky.json"]);
    }

    [Fact]
    public async Task AdministratorsSeeDeactivateAndDeleteAClientIdUrlAndADeletedOneIsNeverFetchedAgain()
    {
        var clientId = Publish("managed.json", Document);
        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizeAsync(clientId)).StatusCode);
        var path = $"/api/admin/clients/by-url?url={Uri.EscapeDataString(clientId)}";
        var response = await _api.SendAsync(HttpMethod.Get, path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var shown = await _api.ReadAsync(response);
        Assert.Equal("metadata_document", shown.GetProperty("origin").GetString());
        Assert.Equal("Notes for MCP", shown.GetProperty("name").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, path)).StatusCode);
        await TestApi.EventuallyAsync(async () => (await AuthorizeAsync(clientId)).StatusCode == HttpStatusCode.BadRequest, TimeSpan.FromSeconds(10),
            "the deleted client refused");
        Assert.Equal(1, _fetches["managed.json"]);
    }

    [Fact]
    public async Task AClientIdUrlMayStartWithAPushedRequestOrADeviceCodeButTheTokenEndpointNeverFetches()
    {
        var pushedClient = Publish("pushed.json", Document);
        var pushed = await _api.PostFormAsync("/oauth/par", new Dictionary<string, string>
        {
            ["client_id"] = pushedClient, ["response_type"] = "code", ["redirect_uri"] = Redirect, ["scope"] = "openid", ["state"] = "s",
            ["code_challenge"] = Protocol.Authorization.Pkce.ChallengeOf(new string('v', 43)), ["code_challenge_method"] = "S256",
        });
        Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", (await _api.ReadAsync(pushed)).GetProperty("request_uri").GetString(), StringComparison.Ordinal);

        var deviceClient = Publish("device.json", url =>
            $$"""{"client_id":"{{url}}","client_name":"TV app","grant_types":["urn:ietf:params:oauth:grant-type:device_code"],"response_types":[],"scope":"openid"}""");
        var device = await _api.PostFormAsync("/oauth/device_authorization", new Dictionary<string, string> { ["client_id"] = deviceClient, ["scope"] = "openid" });
        Assert.True(device.StatusCode == HttpStatusCode.OK, await device.Content.ReadAsStringAsync());

        // The token endpoint only reads what is stored: an unknown URL is an unknown client, and its document is never asked for.
        var unknown = Publish("never.json", Document);
        var refused = await _api.PostFormAsync("/oauth/token", new Dictionary<string, string>
        {
            ["client_id"] = unknown, ["grant_type"] = "authorization_code", ["code"] = "x", ["redirect_uri"] = Redirect, ["code_verifier"] = new string('v', 43),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(_fetches.ContainsKey("never.json"));
    }

    [Fact]
    public async Task ADocumentGoneDeactivatesItsClientWhileAHostsBadMomentLetsTheStoredCopyServe()
    {
        var clientId = Publish("vanishing.json", Document);
        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizeAsync(clientId)).StatusCode);
        await using var registry = new NpgsqlConnection((await system.ProcessEnvironmentAsync("client-registry"))["ConnectionStrings__clientregistrydb"]);
        await registry.OpenAsync();
        async Task StaleAsync()
        {
            await using var command = new NpgsqlCommand("UPDATE oauth_client SET document_expires_at = now() - interval '1 second' WHERE client_id = @id", registry);
            command.Parameters.AddWithValue("id", clientId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        async Task<bool> ActiveAsync() => (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get,
            $"/api/admin/clients/by-url?url={Uri.EscapeDataString(clientId)}"))).GetProperty("active").GetBoolean();

        // The host fails (500): the stored copy serves.
        Publish("vanishing.json", Document, status: 500);
        await StaleAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizeAsync(clientId)).StatusCode);
        Assert.True(await ActiveAsync());

        // The document is gone (404): the client is deactivated.
        var other = Publish("vanishing-too.json", Document);
        Assert.Equal(HttpStatusCode.Redirect, (await AuthorizeAsync(other)).StatusCode);
        _documents.TryRemove("vanishing-too.json", out _);
        await using (var command = new NpgsqlCommand("UPDATE oauth_client SET document_expires_at = now() - interval '1 second' WHERE client_id = @id", registry))
        {
            command.Parameters.AddWithValue("id", other);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await AuthorizeAsync(other)).StatusCode);
        Assert.False((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/by-url?url={Uri.EscapeDataString(other)}")))
            .GetProperty("active").GetBoolean());
    }
}
