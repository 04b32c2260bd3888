using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>The scope and API-policy admin APIs: CRUD, validation as ProblemDetails, 409 for scopes in use, audit.</summary>
[Collection(SystemCollection.Name)]
public sealed class ScopeAdminTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AScopeIsCreatedReadUpdatedAndDeletedAndEachChangeIsAudited()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var name = Name("ticket.read");

        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = "Read your tickets" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/admin/scopes/{name}", created.Headers.Location?.OriginalString);
        Assert.True((await _api.ReadAsync(created)).GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = "again" })).StatusCode);

        var updated = await _api.SendAsync(HttpMethod.Put, $"/api/admin/scopes/{name}", new { description = "Read every ticket", active = false });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{name}"));
        Assert.Equal("Read every ticket", read.GetProperty("description").GetString());
        Assert.False(read.GetProperty("active").GetBoolean());
        var listed = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/scopes"));
        Assert.Contains(listed.EnumerateArray(), s => s.GetProperty("name").GetString() == name);

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{name}")).StatusCode);

        var events = await queue.ReadUntilAsync(e => Is(e, "ScopeDeleted", name), TimeSpan.FromSeconds(15));
        Assert.Contains(events, e => Is(e, "ScopeCreated", name) && e.GetProperty("actor").GetProperty("userName").GetString() == "admin");
        Assert.Contains(events, e => Is(e, "ScopeUpdated", name) && !e.GetProperty("active").GetBoolean());
        Assert.Contains(events, e => Is(e, "ScopeDeleted", name));
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("useraccount")]
    [InlineData("admin.api")]
    public async Task BuiltInScopesCanBeNeitherDeletedNorDeactivated(string name)
    {
        var delete = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{name}");
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal("application/problem+json", delete.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/scopes/{name}", new { description = "x", active = false })).StatusCode);
    }

    [Fact]
    public async Task AScopeUsedByAClientOrAPolicyCannotBeDeleted()
    {
        var byClient = await CreateScopeAsync("client.used");
        await _api.CreateClientAsync([byClient]);
        var refused = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{byClient}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("client", (await _api.ReadAsync(refused)).GetProperty("detail").GetString());

        var byPolicy = await CreateScopeAsync("policy.used");
        var policy = Name("pol");
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name = policy,
            basePath = $"/api/x/{policy}",
            rules = new[] { new { methods = Array.Empty<string>(), resource = $"/api/x/{policy}/**", scopes = new[] { byPolicy } } },
        })).StatusCode);
        refused = await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{byPolicy}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(policy, (await _api.ReadAsync(refused)).GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/api-policies/{policy}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/scopes/{byPolicy}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"description":"no name"}""", "name")]
    [InlineData("""{"name":"has space","description":"x"}""", "name")]
    [InlineData("""{"name":"quote\"d","description":"x"}""", "name")]
    [InlineData("""{"name":"fine.name"}""", "description")]
    public async Task AnInvalidScopeIsAValidationProblem(string json, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/scopes")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", await _api.AdminTokenAsync());

        var response = await system.Edge.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await _api.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("/api/admin/clients", "/api/admin/clients/**", "basePath")]
    [InlineData("/api/admin", "/api/admin/**", "basePath")]
    [InlineData("/api/now/table/", "/api/now/table/**", "basePath")]
    [InlineData("/api/now/%74able", "/api/now/table/**", "basePath")]
    [InlineData("/api/now/table", "/api/now/table/in*", "rules[0].resource")]
    [InlineData("/api/now/table", "/api/now/**/incident", "rules[0].resource")]
    [InlineData("/api/now/table", "/api/now/other/**", "rules[0].resource")]
    [InlineData("/api/now/table", "/api/now/table/../admin", "rules[0].resource")]
    public async Task AnInvalidPolicyIsAValidationProblem(string basePath, string resource, string field)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name = Name("bad"),
            basePath,
            rules = new[] { new { methods = new[] { "GET" }, resource, scopes = new[] { "useraccount" } } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await _api.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _), field);
    }

    [Fact]
    public async Task APolicyWithAnUnknownScopeOrMethodIsRefusedAndUnknownPoliciesAre404()
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name = Name("bad"),
            basePath = "/api/now/stats",
            rules = new[] { new { methods = new[] { "get", "BREW" }, resource = "/api/now/stats/**", scopes = new[] { "no.such.scope" } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await _api.ReadAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("rules[0].methods", out _));
        Assert.True(errors.TryGetProperty("rules[0].scopes", out _));

        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, "/api/admin/api-policies/no-such-policy")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Delete, "/api/admin/api-policies/no-such-policy")).StatusCode);
    }

    [Fact]
    public async Task PoliciesAreListedReadAndAuditedAndABasePathIsTakenOnlyOnce()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var name = Name("stats");
        var body = new
        {
            name,
            basePath = $"/api/{name}",
            rules = new[] { new { methods = new[] { "GET" }, resource = $"/api/{name}/*", scopes = new[] { "useraccount" } } },
        };
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", body)).StatusCode);
        var again = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", body with { name = Name("other") });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var shouted = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", body with { name = Name("other"), basePath = "/api/" + name.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Conflict, shouted.StatusCode);

        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/api-policies/{name}"));
        Assert.Equal(body.basePath, read.GetProperty("basePath").GetString());
        Assert.Equal($"/api/{name}/*", read.GetProperty("rules")[0].GetProperty("resource").GetString());
        var all = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/api-policies"));
        Assert.Contains(all.EnumerateArray(), p => p.GetProperty("name").GetString() == name);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/api-policies/{name}")).StatusCode);

        var events = await queue.ReadUntilAsync(e => Is(e, "ApiPolicyDeleted", name), TimeSpan.FromSeconds(15));
        Assert.Contains(events, e => Is(e, "ApiPolicyCreated", name) && e.GetProperty("rules").GetInt32() == 1);
        Assert.Contains(events, e => Is(e, "ApiPolicyDeleted", name) && e.GetProperty("basePath").GetString() == body.basePath);
    }

    private static bool Is(JsonElement e, string type, string name) =>
        e.GetProperty("type").GetString() == type && e.GetProperty("name").GetString() == name;

    private static string Name(string prefix) => $"{prefix}.{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private async Task<string> CreateScopeAsync(string prefix)
    {
        var name = Name(prefix);
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = name })).StatusCode);
        return name;
    }
}
