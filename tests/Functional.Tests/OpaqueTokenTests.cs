using System.Net;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Issue 24: opaque access tokens of a trusted provider (the in-test provider hands them out and
/// answers for them at its RFC 7662 introspection endpoint), on our APIs and in token exchange.
/// Each test's trust has its own token prefix, the rule that routes an opaque token to one provider.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OpaqueTokenTests(SystemFixture system)
{
    private const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AnOpaqueTokenReachesTheApiAsTheMappedUserAndItsAnswerIsReusedForTheCacheTime()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, cacheSeconds: 60);
        var (subject, sysId) = await LocalUserAsync();
        var token = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId);

        var first = await CallAsync(token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var seen = await _api.ReadAsync(first);
        Assert.Equal(sysId, seen.GetProperty("subject").GetString());
        Assert.Equal(trust.ClientId, seen.GetProperty("clientId").GetString());
        Assert.Equal(trust.Name, seen.GetProperty("headers").EnumerateObject().Single(h => h.NameEquals("X-OAuthAspire-Trust")).Value.GetString());
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(token)).StatusCode);
        Assert.Equal(1, provider.Introspections);

        var events = await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3));
        Assert.Single(events, e => e.GetProperty("type").GetString() == "ExternalTokenAccepted" && e.GetProperty("trust").GetString() == trust.Name);
    }

    [Fact]
    public async Task AnOpaqueTokenIsRefusedWhenInactiveForAnotherClientOrOfNoTrustsPrefixAndARevocationHoldsWithinTheCacheTime()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, cacheSeconds: 1);
        var (subject, _) = await LocalUserAsync();
        var cases = new (string Why, string Token, string Reason)[]
        {
            ("never issued", trust.Prefix + "forged-" + Guid.NewGuid().ToString("N"), "Inactive"),
            ("another client's", provider.IssueOpaque(trust.Prefix, subject, "someone-elses-app"), "WrongAudience"),
            ("another issuer named", provider.IssueOpaque(trust.Prefix, subject, trust.ClientId, c => c["iss"] = "https://elsewhere.example"), "WrongIssuer"),
            ("unmapped user", provider.IssueOpaque(trust.Prefix, TestApi.Unique("nobody"), trust.ClientId), "no user with user_name"),
        };
        foreach (var (why, token, _) in cases)
        {
            var response = await CallAsync(token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
            Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }

        // A token no trust's prefix takes is never sent to any provider.
        var introspections = provider.Introspections;
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("unrouted-" + Guid.NewGuid().ToString("N"))).StatusCode);
        Assert.Equal(introspections, provider.Introspections);

        var refusals = (await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3)))
            .Where(e => e.GetProperty("type").GetString() == "ExternalTokenRefused").Select(e => e.GetProperty("reason").GetString()!).ToArray();
        foreach (var (why, _, reason) in cases)
        {
            Assert.True(refusals.Any(r => r.Contains(reason, StringComparison.Ordinal)), $"{why}: no refusal audited with '{reason}' in [{string.Join(" | ", refusals)}]");
        }

        var revoked = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(revoked)).StatusCode);
        provider.Revoke(revoked);
        // The trust reuses an answer for a second; the edge no longer than that.
        var took = await TestApi.EventuallyAsync(async () => (await CallAsync(revoked)).StatusCode == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5),
            "refusing a token revoked at the provider");
        Assert.True(took < TimeSpan.FromSeconds(3), $"took {took}");
    }

    [Fact]
    public async Task WhileTheProviderIsDownReusableAnswersServeThenCallsAre503AndServeAgainWhenItIsBack()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, cacheSeconds: 2);
        var (subject, _) = await LocalUserAsync();
        var known = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(known)).StatusCode);

        provider.Down = true;
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(known)).StatusCode);
        var fresh = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId);
        var unavailable = await CallAsync(fresh);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        await TestApi.EventuallyAsync(async () => (await CallAsync(known)).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5),
            "the reusable answer running out while the provider is down");

        provider.Down = false;
        await TestApi.EventuallyAsync(async () => (await CallAsync(fresh)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10),
            "serving again once the provider is back");
    }

    [Fact]
    public async Task TokenExchangeTakesAnOpaqueAccessTokenForABoundClientOnly()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var scope = await _api.CreateScopeAsync("opaque");
        var trust = await TrustAsync(provider, scopes: [scope], authMethod: "client_secret_post");
        var (subject, sysId) = await LocalUserAsync();
        var (bound, boundSecret) = await _api.CreateClientAsync([scope], grantTypes: [TokenExchangeGrant], trusts: [trust.Name]);
        // Bound to another provider's trust only.
        await using var elsewhere = await TestKeyServer.StartAsync();
        var (unbound, unboundSecret) = await _api.CreateClientAsync([scope], grantTypes: [TokenExchangeGrant], trusts: [(await TrustAsync(elsewhere)).Name]);
        var opaque = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId);

        var exchanged = await ExchangeAsync(bound, boundSecret, opaque);
        var body = await _api.ReadAsync(exchanged);
        Assert.True(exchanged.StatusCode == HttpStatusCode.OK, body.GetRawText());
        var seen = await _api.ReadAsync(await CallAsync(body.GetProperty("access_token").GetString()!));
        Assert.Equal(sysId, seen.GetProperty("subject").GetString());
        Assert.Equal(bound, seen.GetProperty("clientId").GetString());

        Assert.Equal("unauthorized_client", (await _api.ReadAsync(await ExchangeAsync(unbound, unboundSecret, opaque))).GetProperty("error").GetString());
        // Ours never outlives the token it was exchanged for.
        var shortLived = provider.IssueOpaque(trust.Prefix, subject, trust.ClientId, c => c["exp"] = DateTimeOffset.UtcNow.AddSeconds(90).ToUnixTimeSeconds());
        var capped = await _api.ReadAsync(await ExchangeAsync(bound, boundSecret, shortLived));
        Assert.InRange(capped.GetProperty("expires_in").GetInt64(), 1, 90);
        Assert.True(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(capped.GetProperty("access_token").GetString()).ValidTo
            <= DateTime.UtcNow.AddSeconds(91));
        var foreign = provider.IssueOpaque(trust.Prefix, subject, "someone-elses-app");
        Assert.Equal("invalid_request", (await _api.ReadAsync(await ExchangeAsync(bound, boundSecret, foreign))).GetProperty("error").GetString());

        provider.Down = true;
        var down = await ExchangeAsync(bound, boundSecret, provider.IssueOpaque(trust.Prefix, subject, trust.ClientId));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
    }

    [Fact]
    public async Task TheProviderSecretIsWriteOnlyKeptAcrossSavesAndStoredSealedAndPrefixesAreNeverShared()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var read = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{trust.Name}"));
        var client = read.GetProperty("providerClient");
        Assert.Equal(provider.OurClientId, client.GetProperty("clientId").GetString());
        Assert.True(client.GetProperty("secretSet").GetBoolean());
        Assert.DoesNotContain(provider.OurClientSecret, read.GetRawText());
        Assert.Equal(trust.Prefix, read.GetProperty("opaqueTokens").GetProperty("prefix").GetString());

        // Saved back as read (no secret): the stored secret still calls the provider.
        var body = JsonSerializer.Deserialize<Dictionary<string, object?>>(read.GetRawText())!;
        body["scopes"] = Array.Empty<string>();
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust.Name}", body)).StatusCode);
        var (subject, _) = await LocalUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(provider.IssueOpaque(trust.Prefix, subject, trust.ClientId))).StatusCode);

        await using (var database = new NpgsqlConnection((await system.ProcessEnvironmentAsync("federation-trust"))["ConnectionStrings__federationtrustdb"]))
        {
            await database.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT provider_client_secret FROM trust WHERE name = @name", database);
            command.Parameters.AddWithValue("name", trust.Name);
            var stored = (byte[])(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(provider.OurClientSecret, Encoding.UTF8.GetString(stored));
            Assert.True(stored.Length > provider.OurClientSecret.Length);
        }

        // Another client id without its secret, opaque tokens without a provider client, a prefix taken: refused, each named.
        var renamed = new Dictionary<string, object?>(body) { ["providerClient"] = new { clientId = "another-client" } };
        Assert.Equal("providerClient.clientSecret", await ProblemFieldAsync(_api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust.Name}", renamed)));
        // Nor does the stored secret follow the trust to another endpoint.
        var moved = new Dictionary<string, object?>(body) { ["opaqueTokens"] = new { prefix = trust.Prefix, introspectionEndpoint = "http://127.0.0.1:9/introspect" } };
        Assert.Equal("providerClient.clientSecret", await ProblemFieldAsync(_api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust.Name}", moved)));
        await using var other = await TestKeyServer.StartAsync();
        Assert.Equal("providerClient", await ProblemFieldAsync(_api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("idp"), issuer = other.Issuer, clientIds = new[] { "app" }, opaqueTokens = new { prefix = TestApi.Unique("p") },
        })));
        var taken = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("idp"), issuer = other.Issuer, clientIds = new[] { "app" }, opaqueTokens = new { prefix = trust.Prefix },
            providerClient = new { clientId = other.OurClientId, clientSecret = other.OurClientSecret },
        });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
    }

    [Fact]
    public async Task CredentialsTheProviderRefusesMakeItsTokensUnavailableNotAccepted()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, secret: "not-the-secret");
        // The same by client_secret_post, which the provider refuses with a 400 invalid_client: still our client's fault, not the token's.
        await using var other = await TestKeyServer.StartAsync();
        var posting = await TrustAsync(other, secret: "not-the-secret", authMethod: "client_secret_post");
        var (subject, _) = await LocalUserAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(provider.IssueOpaque(trust.Prefix, subject, trust.ClientId))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(other.IssueOpaque(posting.Prefix, subject, posting.ClientId))).StatusCode);

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "ExternalTokenRefused" && e.GetProperty("trust").GetString() == posting.Name,
            TimeSpan.FromSeconds(10));
        var refused = events.Single(e => e.GetProperty("type").GetString() == "ExternalTokenRefused" && e.GetProperty("trust").GetString() == trust.Name);
        Assert.Contains("answered 401", refused.GetProperty("reason").GetString());
        Assert.DoesNotContain("not-the-secret", refused.GetRawText());
        var refusedPost = events.Single(e => e.GetProperty("type").GetString() == "ExternalTokenRefused" && e.GetProperty("trust").GetString() == posting.Name);
        Assert.Contains("answered 400 error=invalid_client", refusedPost.GetProperty("reason").GetString());
    }

    private sealed record Trust(string Name, string ClientId, string Prefix);

    private async Task<Trust> TrustAsync(TestKeyServer provider, int cacheSeconds = 60, string[]? scopes = null, string authMethod = "client_secret_basic",
        string? secret = null)
    {
        var name = TestApi.Unique("idp");
        var clientId = TestApi.Unique("app");
        var prefix = TestApi.Unique("op") + ".";
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name, issuer = provider.Issuer, clientIds = new[] { clientId }, userClaim = "sub", userField = "user_name", scopes = scopes ?? [],
            providerClient = new { clientId = provider.OurClientId, clientSecret = secret ?? provider.OurClientSecret, authMethod },
            opaqueTokens = new { prefix, cacheSeconds },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return new Trust(name, clientId, prefix);
    }

    private async Task<(string UserName, string SysId)> LocalUserAsync()
    {
        var userName = TestApi.Unique("opq");
        return (userName, (await _api.CreateUserAsync(userName, ["itil"])).GetProperty("sysId").GetString()!);
    }

    private Task<HttpResponseMessage> CallAsync(string token) => _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token);

    private Task<HttpResponseMessage> ExchangeAsync(string clientId, string secret, string subjectToken) =>
        _api.PostFormAsync("/oauth/token",
            [new("grant_type", TokenExchangeGrant), new("subject_token", subjectToken), new("subject_token_type", AccessTokenType)], clientId, secret);

    private async Task<string> ProblemFieldAsync(Task<HttpResponseMessage> response)
    {
        var answer = await response;
        var body = await _api.ReadAsync(answer);
        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, body.GetRawText());
        return body.GetProperty("errors").EnumerateObject().Single().Name;
    }
}
