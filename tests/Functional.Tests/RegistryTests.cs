using System.Net;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>The application registry and user directory admin APIs: validation and lifecycle.</summary>
[Collection(SystemCollection.Name)]
public sealed class RegistryTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await _api.ReadAsync(response);
    }

    [Fact]
    public async Task ApplicationsAreFoundByPartOfTheirNameOrClientIdIgnoringCaseAndWildcardsAreLiterals()
    {
        var marker = TestApi.Unique("find");
        var (byName, _) = await _api.CreateClientAsync(["useraccount"], name: $"Billing sync {marker}");
        var (plain, _) = await _api.CreateClientAsync(["useraccount"], name: "Billing_sync");
        var wildcard = await _api.CreateClientAsync(["useraccount"], name: $"Billing%{marker}");

        async Task<string[]> FindAsync(string search)
        {
            var page = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients?limit=200&search={Uri.EscapeDataString(search)}"));
            return page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("clientId").GetString()!).ToArray();
        }

        Assert.Equal(new[] { byName, wildcard.ClientId }.Order(StringComparer.Ordinal), (await FindAsync(marker.ToUpperInvariant())).Order(StringComparer.Ordinal));
        Assert.Equal([byName], await FindAsync(byName[4..20]));
        // % and _ match themselves only: "g%f" is not "anything between g and f", "g_s" not "g, any character, s".
        Assert.Equal([wildcard.ClientId], await FindAsync("g%" + marker));
        Assert.Contains(plain, await FindAsync("g_s"));
        Assert.DoesNotContain(byName, await FindAsync("g_s"));
        var tooLong = await ProblemAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/clients?search=" + new string('x', 201)), HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("search", out _));
    }

    [Fact]
    public async Task APublicClientCannotUseGrantsThatNeedASecret()
    {
        var problem = await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "SPA", @public = true, grantTypes = new[] { "client_credentials" }, redirectUris = new[] { "https://spa.example.com/cb" } }),
            HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("grantTypes", out _));
    }

    [Theory]
    [InlineData("http://app.example.com/cb", "redirectUris[0]")]
    [InlineData("https://app.example.com/cb#frag", "redirectUris[0]")]
    [InlineData("not a uri", "redirectUris[0]")]
    public async Task BadRedirectUrisAreNamedInTheProblem(string uri, string field)
    {
        var problem = await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "Web", grantTypes = new[] { "authorization_code" }, redirectUris = new[] { uri } }), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task UnknownScopesUnknownGrantsAndUnknownUsersAreRefusedByField()
    {
        var problem = await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "Back-end", grantTypes = new[] { "client_credentials", "teleport" }, scopes = new[] { "no.such.scope" }, applicationUser = "nobody-at-all" }),
            HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("grantTypes", out _));
        Assert.True(errors.TryGetProperty("scopes", out _));
        Assert.True(errors.TryGetProperty("applicationUser", out _));
    }

    [Fact]
    public async Task AGivenClientIdMustMatchThePatternAndADeletedIdIsNeverReused()
    {
        await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new { name = "x", clientId = "bad id!" }), HttpStatusCode.BadRequest);

        var clientId = TestApi.Unique("reuse");
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "first", clientId, grantTypes = new[] { "client_credentials" } })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/clients/{clientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}")).StatusCode);
        await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "second", clientId, grantTypes = new[] { "client_credentials" } }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ClientsAreListedInPagesAndPublicClientsGetPkceAndNoSecret()
    {
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "Mobile", @public = true, grantTypes = new[] { "authorization_code", "refresh_token" }, redirectUris = new[] { "com.example.mobile:/cb" } });
        var client = await _api.ReadAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(client.GetProperty("pkceRequired").GetBoolean());
        Assert.False(client.TryGetProperty("clientSecret", out _));
        Assert.Equal(1800, client.GetProperty("accessTokenLifespan").GetInt32());
        Assert.Equal(8_640_000, client.GetProperty("refreshTokenLifespan").GetInt32());

        var page = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/clients?offset=0&limit=2"));
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        Assert.True(page.GetProperty("total").GetInt64() >= 2);
    }

    [Fact]
    public async Task UsersHaveAFullLifecycleAndPasswordsAreNeverShown()
    {
        var userName = TestApi.Unique("user");
        var created = await _api.CreateUserAsync(userName, ["itil"]);
        Assert.False(created.TryGetProperty("password", out _));
        Assert.Equal(32, created.GetProperty("sysId").GetString()!.Length);

        await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/users", new { userName = userName.ToUpperInvariant(), password = "Another-passw0rd" }),
            HttpStatusCode.Conflict);
        await ProblemAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/users", new { userName = TestApi.Unique("x"), password = "short" }),
            HttpStatusCode.BadRequest);

        var updated = await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName}", new { email = $"{userName}@new.example.com", roles = new[] { "itil", "oauth_admin" }, active = true });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(2, (await _api.ReadAsync(updated)).GetProperty("roles").GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Post, $"/api/admin/users/{userName}/password", new { password = "A-new-passw0rd" })).StatusCode);
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}"));
        Assert.Equal($"{userName}@new.example.com", read.GetProperty("email").GetString());
        Assert.False(read.TryGetProperty("password", out _));

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/users/{userName}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}")).StatusCode);
    }

    [Fact]
    public async Task MalformedJsonIsA400ProblemNotA500()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/clients")
        {
            Content = new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await _api.AdminTokenAsync());
        var response = await system.Edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
