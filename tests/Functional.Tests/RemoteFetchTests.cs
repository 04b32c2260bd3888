using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Remote fetches (a trust's metadata, a client's JWKS) cannot be aimed at internal addresses, and
/// what went wrong goes to the audit trail, never to the caller: otherwise the admin API and the
/// token endpoint would be port scanners of our network. The fixture allows loopback only
/// (<see cref="SystemFixture.TestAllowedNetworks"/>), so the internal addresses below are refused by
/// the connection check before a packet leaves; the other cases talk to loopback alone.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RemoteFetchTests(SystemFixture system)
{
    private const string Unreadable = "The provider's metadata could not be fetched.";
    private const string Mismatch = "The provider's metadata does not name this issuer, or no usable jwks_uri.";
    private const string JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task ATrustWhoseMetadataIsAtAnInternalAddressIsRefusedWithGenericTextAndAuditedInDetail()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var name = TestApi.Unique("idp");

        var (status, message, body) = await SaveTrustAsync(name, $"https://{name}.example.com", "https://169.254.169.254/latest/meta-data/openid-configuration");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(Unreadable, message);
        Assert.DoesNotContain("169.254", body);
        Assert.DoesNotContain("link-local", body);
        Assert.DoesNotContain("AllowedNetworks", body);
        var reason = (await RefusalReasonsAsync(queue, "TrustCreated", "name", name))[name];
        Assert.Contains("169.254.169.254 is in link-local", reason);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{name}")).StatusCode);
    }

    [Fact]
    public async Task NeitherAConnectErrorNorAStatusNorTheRemoteIssuerIsEchoedOnTrustSave()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();

        // Nothing listens on loopback port 1: the connection is refused.
        var closed = TestApi.Unique("idp");
        var (status, message, body) = await SaveTrustAsync(closed, $"https://{closed}.example.com", "http://127.0.0.1:1/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(Unreadable, message);
        Assert.DoesNotContain("127.0.0.1", body);
        Assert.DoesNotContain("refused", body, StringComparison.OrdinalIgnoreCase);

        // The provider answers 503.
        provider.Down = true;
        var down = TestApi.Unique("idp");
        (status, message, body) = await SaveTrustAsync(down, provider.Issuer, provider.MetadataUrl);
        provider.Down = false;
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(Unreadable, message);
        Assert.DoesNotContain("503", body);

        // The provider names another issuer than the trust's.
        var other = TestApi.Unique("idp");
        (status, message, body) = await SaveTrustAsync(other, provider.Issuer + "/other", provider.MetadataUrl);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(Mismatch, message);
        Assert.DoesNotContain(provider.Issuer, body);

        var reasons = await RefusalReasonsAsync(queue, "TrustCreated", "name", closed, down, other);
        Assert.Contains("could not be read", reasons[closed]);
        Assert.Contains("answered 503", reasons[down]);
        Assert.Contains($"names the issuer '{provider.Issuer}'", reasons[other]);
    }

    [Fact]
    public async Task AClientJwksAtAnInternalAddressFailsTheGrantGenericallyAndTheAuditSaysWhy()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var signer = await TestKeyServer.StartAsync();
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "Signing integration, keys published inside",
            grantTypes = new[] { JwtBearer },
            scopes = new[] { "useraccount" },
            jwtVerifier = new { jwksUri = "https://[fd00::1]/jwks" },
        });
        var client = await _api.ReadAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, client.GetRawText());
        var clientId = client.GetProperty("clientId").GetString()!;

        var response = await _api.PostFormAsync("/oauth/token",
            [new("grant_type", JwtBearer), new("assertion", signer.Sign(TestKeyServer.Claims(clientId, "someone", _api.TokenEndpoint)))],
            clientId, client.GetProperty("clientSecret").GetString()!);

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("The assertion was not accepted.", JsonDocument.Parse(body).RootElement.GetProperty("error_description").GetString());
        Assert.DoesNotContain("fd00::1", body);
        var reason = (await RefusalReasonsAsync(queue, "JwtAssertionRefused", "clientId", clientId))[clientId];
        Assert.StartsWith("UnknownKey", reason);
        Assert.Contains("unique-local", reason);
    }

    private async Task<(HttpStatusCode Status, string? Message, string Body)> SaveTrustAsync(string name, string issuer, string metadataUrl)
    {
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new { name, issuer, metadataUrl, clientIds = new[] { "app" } });
        var body = await response.Content.ReadAsStringAsync();
        var message = response.StatusCode == HttpStatusCode.BadRequest
            && JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("metadataUrl", out var errors)
            ? errors[0].GetString()
            : null;
        // Without the trace id: random hex that could hold any short number.
        var visible = JsonNode.Parse(body) as JsonObject;
        visible?.Remove("traceId");
        return (response.StatusCode, message, visible?.ToJsonString() ?? body);
    }

    /// <summary>The reasons of the refusals audited for these subjects (each once, outcome Failure), by subject.</summary>
    private static async Task<Dictionary<string, string>> RefusalReasonsAsync(AuditQueue queue, string type, string field, params string[] values)
    {
        var found = new List<(string Value, JsonElement Event)>();
        string? Subject(JsonElement e) =>
            e.GetProperty("type").GetString() == type && e.TryGetProperty(field, out var v) && v.GetString() is { } value && values.Contains(value) ? value : null;
        await queue.ReadUntilAsync(e =>
        {
            if (Subject(e) is { } value)
            {
                found.Add((value, e));
            }

            return found.Select(f => f.Value).Distinct().Count() == values.Length;
        }, TimeSpan.FromSeconds(10));
        // A moment more, so that a second event for the same refusal would be seen too.
        foreach (var e in await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(1)))
        {
            if (Subject(e) is { } value)
            {
                found.Add((value, e));
            }
        }

        Assert.Equal(values.Order(), found.Select(f => f.Value).Order());
        Assert.All(found, f => Assert.Equal("Failure", f.Event.GetProperty("outcome").GetString()));
        return found.ToDictionary(f => f.Value, f => f.Event.GetProperty("reason").GetString()!);
    }
}
