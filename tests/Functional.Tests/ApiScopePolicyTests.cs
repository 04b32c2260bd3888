using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// REST API auth scopes through the edge and the sample table API. Each test protects a table of
/// its own, so its policy never touches another test's calls on the shared system.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ApiScopePolicyTests(SystemFixture system)
{
    private static readonly TimeSpan WithinASecond = TimeSpan.FromSeconds(1);
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task TryingACallAnswersWhatTheEdgeDecidesForTheSameCall()
    {
        var table = await _api.ProtectedTableAsync();
        async Task<JsonElement> TryAsync(string method, string path, params string[] scopes)
        {
            var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies/try", new { method, path, scopes });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await _api.ReadAsync(response);
        }

        var reader = await _api.TokenAsync([table.Read]);
        foreach (var (method, path, scope, token) in new[]
        {
            ("get", table.Path, table.Read, reader), ("POST", table.Path, table.Read, reader), ("DELETE", table.Path + "/x", table.Read, reader),
        })
        {
            var trial = await TryAsync(method, path, scope, "no-such-scope");
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (method.ToUpperInvariant() == "POST")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            var edge = await system.Edge.SendAsync(request);
            Assert.True(trial.GetProperty("allowed").GetBoolean() == (edge.StatusCode != HttpStatusCode.Forbidden), $"{method} {path}: tried {trial}, the edge {edge.StatusCode}");
            Assert.Equal(table.Name, trial.GetProperty("policy").GetString());
            Assert.Equal([scope], trial.GetProperty("scopesThatCount").EnumerateArray().Select(s => s.GetString()));
        }

        var refused = await TryAsync("POST", table.Path, table.Read);
        Assert.Equal([table.Write], refused.GetProperty("requiredScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("needs one of", refused.GetProperty("reason").GetString());
        var open = await TryAsync("GET", "/api/nothing-protects-this", "x");
        Assert.True(open.GetProperty("allowed").GetBoolean());
        Assert.False(open.TryGetProperty("policy", out _));

        // Only API paths, never the admin APIs, never an ambiguous path.
        foreach (var (method, path, field) in new[] { ("GET", "/api/admin/clients", "path"), ("GET", "/api/x/%2e%2e/y", "path"), ("BREW", "/api/x", "method") })
        {
            var problem = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies/try", new { method, path, scopes = Array.Empty<string>() });
            Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
            Assert.True((await _api.ReadAsync(problem)).GetProperty("errors").TryGetProperty(field, out _), $"{method} {path}");
        }
    }

    [Fact]
    public async Task AReadScopeCanGetButIsRefusedPostNamingTheScopeItNeeds()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var table = await _api.ProtectedTableAsync();
        var token = await _api.TokenAsync([table.Read]);

        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode);
        var post = await _api.SendAsync(HttpMethod.Post, table.Path, new { short_description = "printer on fire" }, token: token);

        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal($"Bearer error=\"insufficient_scope\", scope=\"{table.Write}\"", post.Headers.WwwAuthenticate.ToString());
        Assert.Equal("insufficient_scope", (await _api.ReadAsync(post)).GetProperty("error").GetString());
        Assert.Empty((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, table.Path, token: token))).GetProperty("result").EnumerateArray());

        var denied = (await queue.ReadUntilAsync(e => IsDenial(e, table.Path), TimeSpan.FromSeconds(15))).LastOrDefault(e => IsDenial(e, table.Path));
        Assert.True(denied.ValueKind == JsonValueKind.Object, "ApiAccessDenied was not published");
        Assert.Equal("POST", denied.GetProperty("method").GetString());
        Assert.Equal([table.Write], denied.GetProperty("requiredScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(table.Name, denied.GetProperty("policy").GetString());
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).GetClaim("client_id").Value,
            denied.GetProperty("actor").GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task TheEdgeDecidesOnTheMethodAndPathTheApiRoutesWhateverTheCaseOrTrailingSlash()
    {
        var table = await _api.ProtectedTableAsync();
        var reader = await _api.TokenAsync([table.Read]);
        var writer = await _api.TokenAsync([table.Write]);

        // Methods in any case are the API's GET and POST, and so are their rules.
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(new HttpMethod("get"), table.Path, token: reader)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(new HttpMethod("get"), table.Path, token: writer)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(new HttpMethod("Post"), table.Path, new { short_description = "x" }, token: writer)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(new HttpMethod("post"), table.Path, new { short_description = "x" }, token: reader)).StatusCode);

        // A trailing slash reaches the exact rule, as it reaches the API's route.
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, table.Path + "/", token: reader)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Get, table.Path + "/", token: writer)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, table.Path + "/", new { short_description = "y" }, token: writer)).StatusCode);
    }

    [Fact]
    public async Task UserAccountPassesEveryCheckOfAPolicy()
    {
        var table = await _api.ProtectedTableAsync();
        var token = await _api.TokenAsync(["useraccount"]);

        var created = await _api.SendAsync(HttpMethod.Post, table.Path, new { short_description = "disk full" }, token: token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sysId = (await _api.ReadAsync(created)).GetProperty("result").GetProperty("sys_id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, $"{table.Path}/{sysId}", token: token)).StatusCode);
        // No rule covers PATCH or DELETE: refused to everyone else, not to useraccount.
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Patch, $"{table.Path}/{sysId}", new { state = "closed" }, token: token)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"{table.Path}/{sysId}", token: token)).StatusCode);
    }

    [Fact]
    public async Task ACallNoRuleCoversIsRefusedEvenWithEveryScopeOfThePolicy()
    {
        var table = await _api.ProtectedTableAsync();
        var token = await _api.TokenAsync([table.Read, table.Write]);

        var delete = await _api.SendAsync(HttpMethod.Delete, $"{table.Path}/0123456789abcdef0123456789abcdef", token: token);

        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\"", delete.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AnApiWithoutAPolicyIsOpenToAnyValidToken()
    {
        var scope = await _api.CreateScopeAsync("unrelated");
        var token = await _api.TokenAsync([scope]);
        var path = $"/api/now/table/open_{Guid.NewGuid():N}"[..40];

        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, path, new { note = "anyone may" }, token: token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, path, token: token)).StatusCode);
    }

    [Fact]
    public async Task RemovingTheScopeFromTheClientRefusesItsLiveTokenWithinASecond()
    {
        var table = await _api.ProtectedTableAsync();
        var (clientId, secret) = await _api.CreateClientAsync([table.Read, "useraccount"], defaultScopes: [table.Read]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode);

        var client = JsonSerializer.Deserialize<Dictionary<string, object?>>((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        client["scopes"] = new[] { "useraccount" };
        client["defaultScopes"] = new[] { "useraccount" };
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", client)).StatusCode);

        var took = await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode == HttpStatusCode.Forbidden, WithinASecond, "refusing the live token");
        Assert.True(took < WithinASecond);
    }

    [Fact]
    public async Task APolicyEditTakesEffectWithinASecond()
    {
        var table = await _api.ProtectedTableAsync();
        var token = await _api.TokenAsync([table.Read]);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode);

        var edit = await _api.SendAsync(HttpMethod.Put, $"/api/admin/api-policies/{table.Name}", new
        {
            basePath = table.Path,
            rules = new[] { new { methods = new[] { "GET", "POST" }, resource = table.Path, scopes = new[] { table.Write } } },
        });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);

        HttpResponseMessage? last = null;
        var took = await TestApi.EventuallyAsync(async () =>
            (last = await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode == HttpStatusCode.Forbidden, WithinASecond, "applying the edited policy");
        Assert.True(took < WithinASecond);
        Assert.Contains($"scope=\"{table.Write}\"", last!.Headers.WwwAuthenticate.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/api-policies/{table.Name}")).StatusCode);
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode == HttpStatusCode.OK, WithinASecond, "opening the API again");
    }

    [Fact]
    public async Task ForgedIdentityHeadersNeverReachTheApi()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-OAuthAspire-Subject", "someone-else");
        request.Headers.Add("X-OAuthAspire-Scopes", "admin.api useraccount");
        request.Headers.Add("X-OAuthAspire-Roles", "admin");
        request.Headers.Add("x-oauthaspire-user", "admin");
        request.Headers.Add("X-OAuthAspire-Smuggled", "1");

        var response = await system.Edge.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = await _api.ReadAsync(response);
        Assert.Equal(clientId, seen.GetProperty("subject").GetString());
        Assert.Equal(clientId, seen.GetProperty("clientId").GetString());
        Assert.False(seen.TryGetProperty("userName", out var user) && user.ValueKind != JsonValueKind.Null, "a forged user name got through");
        Assert.Equal(["useraccount"], seen.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Empty(seen.GetProperty("roles").EnumerateArray());
        var headers = seen.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name.ToLowerInvariant(), h => h.Value.GetString());
        Assert.Equal(["x-oauthaspire-client", "x-oauthaspire-roles", "x-oauthaspire-scopes", "x-oauthaspire-subject"], headers.Keys.Order());
        Assert.Equal(clientId, headers["x-oauthaspire-subject"]);
    }

    [Fact]
    public async Task EncodedAndCasedPathsAreMatchedAsTheApiReadsThem()
    {
        var table = await _api.ProtectedTableAsync();
        var writeOnly = await _api.TokenAsync([table.Write]);
        var encoded = "/api/now/table/%69" + table.Name[1..];
        var upper = table.Path.ToUpperInvariant()[..^table.Name.Length] + table.Name;

        foreach (var path in new[] { encoded, upper, "/api/now/%74able/" + table.Name })
        {
            var response = await SendRawAsync(HttpMethod.Get, path, writeOnly);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {response.StatusCode}");
            Assert.Contains($"scope=\"{table.Read}\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Theory]
    [InlineData("/api/now/table%2F{table}")]
    [InlineData("/api/now/table/{table}%2f..%2f{table}")]
    [InlineData("/api/now/table/x/../{table}")]
    [InlineData("/api/now/./table/{table}")]
    [InlineData("/api/now/table/%2e%2e/table/{table}")]
    [InlineData("/api/now//table/{table}")]
    [InlineData("/api/now/table/%2569ncident")]
    [InlineData("/api/now/table/{table}%5C..")]
    [InlineData("/api/now/table/{table};jsessionid=1")]
    [InlineData("/api/now/table/%C0%AE%C0%AE")]
    public async Task AmbiguousPathsAreRefusedWith400(string template)
    {
        var table = await _api.ProtectedTableAsync();
        var token = await _api.TokenAsync(["useraccount"]);

        var response = await SendRawAsync(HttpMethod.Get, template.Replace("{table}", table.Name, StringComparison.Ordinal), token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await _api.ReadAsync(response)).GetProperty("error").GetString());
    }

    private static bool IsDenial(JsonElement e, string path) =>
        e.GetProperty("type").GetString() == "ApiAccessDenied" && e.GetProperty("path").GetString() == path;

    /// <summary>Sends the path exactly as written: HttpClient would otherwise remove dot segments itself.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string token)
    {
        var uri = new Uri(system.Issuer + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await system.Edge.SendAsync(request);
    }
}
