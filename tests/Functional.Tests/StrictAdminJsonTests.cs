using System.Net;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Every admin write refuses a member its resource does not have (a misspelt protection, a field
/// not supported yet) with a 400 ProblemDetails naming it, and changes nothing; a body exactly as a
/// GET returned it is still accepted.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class StrictAdminJsonTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    /// <summary>Asserts the answer is a 400 validation problem naming <paramref name="field"/> as unknown.</summary>
    private async Task RefusedAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), body);
        Assert.Equal("unknown field", messages[0].GetString());
    }

    private async Task<Dictionary<string, object?>> ReadAsDictionaryAsync(string path)
    {
        var response = await _api.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Dictionary<string, object?>>(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task ClientsRefuseAMisspeltFieldOnRegisterAndReplaceAndNothingIsStored()
    {
        var clientId = TestApi.Unique("strict");
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "Strict", clientId, grantTypes = new[] { "client_credentials" }, pkceRequierd = true }), "pkceRequierd");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}")).StatusCode);
        // The id was not taken either: ids are never reused, so a stored client would make this a 409.
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/clients",
            new { name = "Strict", clientId, grantTypes = new[] { "client_credentials" } })).StatusCode);

        // Nested members are checked too: the JWT verifier's jwksUri misspelt.
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Strict signer", grantTypes = new[] { "urn:ietf:params:oauth:grant-type:jwt-bearer" }, scopes = new[] { "useraccount" },
            jwtVerifier = new { jwksUrl = "https://keys.example.test/jwks" },
        }), "jwtVerifier.jwksUrl");

        var body = await ReadAsDictionaryAsync($"/api/admin/clients/{clientId}");
        body["name"] = "Renamed";
        body["pkceRequierd"] = true;
        await RefusedAsync(await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", body), "pkceRequierd");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"));
        Assert.Equal("Strict", stored.GetProperty("name").GetString());
        Assert.False(stored.GetProperty("pkceRequired").GetBoolean());
    }

    [Fact]
    public async Task AClientWithAVerifierGoesBackExactlyAsReadWithItsComputedSettings()
    {
        await using var keys = await TestKeyServer.StartAsync();
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Signer", grantTypes = new[] { "urn:ietf:params:oauth:grant-type:jwt-bearer" }, scopes = new[] { "useraccount" },
            jwtVerifier = new { jwksUri = keys.JwksUri, jwksCacheLifespan = 60 },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var clientId = (await _api.ReadAsync(created)).GetProperty("clientId").GetString()!;

        var body = await ReadAsDictionaryAsync($"/api/admin/clients/{clientId}");
        var replaced = await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", body);
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UsersRefuseAMisspeltFieldOnCreateReplaceAndPasswordAndNothingChanges()
    {
        var userName = TestApi.Unique("strict");
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/users",
            new { userName, password = "Pa55word-for-tests", rolse = new[] { "admin" } }), "rolse");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}")).StatusCode);

        await _api.CreateUserAsync(userName, ["itil"]);
        var body = await ReadAsDictionaryAsync($"/api/admin/users/{userName}");
        body["firstName"] = "Changed";
        body["activ"] = false;
        await RefusedAsync(await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{userName}", body), "activ");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{userName}"));
        Assert.Equal("Test", stored.GetProperty("firstName").GetString());
        Assert.True(stored.GetProperty("active").GetBoolean());

        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, $"/api/admin/users/{userName}/password", new { pasword = "A-new-passw0rd" }), "pasword");
    }

    [Fact]
    public async Task TrustsRefuseAMisspeltFieldOnRegisterAndReplaceAndNothingChanges()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var name = TestApi.Unique("idp");
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts",
            new { name, issuer = provider.Issuer, clientIds = new[] { "app" }, autoProvison = true }), "autoProvison");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{name}")).StatusCode);

        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new { name, issuer = provider.Issuer, clientIds = new[] { "app" } });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await ReadAsDictionaryAsync($"/api/admin/trusts/{name}");
        body["clockSkew"] = 5;
        body["jtiChek"] = true;
        await RefusedAsync(await _api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{name}", body), "jtiChek");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{name}"));
        Assert.Equal(300, stored.GetProperty("clockSkew").GetInt32());
        Assert.False(stored.GetProperty("jtiCheck").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{name}")).StatusCode);
    }

    [Fact]
    public async Task ScopesRefuseAMisspeltFieldOnCreateAndReplaceAndNothingChanges()
    {
        var name = $"strict.{Guid.NewGuid():N}"[..20];
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = "Strict", activ = false }), "activ");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{name}")).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name, description = "Strict" })).StatusCode);
        await RefusedAsync(await _api.SendAsync(HttpMethod.Put, $"/api/admin/scopes/{name}", new { description = "Changed", activ = false }), "activ");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/scopes/{name}"));
        Assert.Equal("Strict", stored.GetProperty("description").GetString());
        Assert.True(stored.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task ApiPoliciesRefuseAMisspeltFieldEvenInsideARuleAndNothingChanges()
    {
        var name = $"strict_{Guid.NewGuid():N}"[..20];
        var path = $"/api/now/table/{name}";
        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name, basePath = path, rules = new[] { new { methods = new[] { "GET" }, resource = path, scope = new[] { "useraccount" } } },
        }), "rules[0].scope");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/api-policies/{name}")).StatusCode);

        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", new
        {
            name, basePath = path, rules = new[] { new { methods = new[] { "GET" }, resource = path, scopes = new[] { "useraccount" } } },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        await RefusedAsync(await _api.SendAsync(HttpMethod.Put, $"/api/admin/api-policies/{name}", new
        {
            basePaths = path, rules = new[] { new { methods = new[] { "GET", "POST" }, resource = path, scopes = new[] { "useraccount" } } },
        }), "basePaths");
        var stored = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/api-policies/{name}"));
        Assert.Equal(1, stored.GetProperty("rules")[0].GetProperty("methods").GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/api-policies/{name}")).StatusCode);
    }

    [Fact]
    public async Task KeyRotationRefusesAMisspeltFieldAndRotatesNothing()
    {
        var before = await KidsAsync();

        await RefusedAsync(await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSecond = 0 }), "activateAfterSecond");

        Assert.Empty((await KidsAsync()).Except(before));
    }

    private async Task<string[]> KidsAsync() =>
        [.. (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/keys"))).EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
}
