using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Tokens of a trusted external OpenID provider (a real one, beside the system: its own HTTP host,
/// keys, metadata and JWKS) sent straight to our APIs, and exchanged for ours (RFC 8693).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FederationTests(SystemFixture system)
{
    private static readonly TimeSpan WithinASecond = TimeSpan.FromSeconds(1);
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AProvidersTokenReachesTheApiAsTheMappedUserAndIsAuditedOnce()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var (subject, sysId) = await LocalUserAsync();
        var token = provider.Sign(provider.IdTokenClaims(subject, trust.ClientId));

        var first = await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var seen = await _api.ReadAsync(first);
        Assert.Equal(sysId, seen.GetProperty("subject").GetString());
        Assert.Equal(subject, seen.GetProperty("userName").GetString());
        Assert.Equal(trust.ClientId, seen.GetProperty("clientId").GetString());
        Assert.Equal(trust.Name, seen.GetProperty("headers").EnumerateObject().Single(h => h.NameEquals("X-OAuthAspire-Trust")).Value.GetString());
        var table = $"/api/now/table/fed_{Guid.NewGuid():N}"[..36];
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, table, new { note = "from outside" }, token: token)).StatusCode);

        var events = await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3));
        var accepted = events.Where(e => e.GetProperty("type").GetString() == "ExternalTokenAccepted" && e.GetProperty("trust").GetString() == trust.Name).ToArray();
        Assert.Single(accepted);
        Assert.Equal(sysId, accepted[0].GetProperty("userSysId").GetString());
    }

    [Fact]
    public async Task ATrustsScopesGoThroughTheApiPoliciesAndAChangeAppliesWithinASecond()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var table = await _api.ProtectedTableAsync();
        var trust = await TrustAsync(provider);
        var (subject, _) = await LocalUserAsync();
        var token = provider.Sign(provider.IdTokenClaims(subject, trust.ClientId));

        var refused = await _api.SendAsync(HttpMethod.Get, table.Path, token: token);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains($"scope=\"{table.Read}\"", refused.Headers.WwwAuthenticate.ToString());

        Assert.Equal(HttpStatusCode.OK, (await UpdateTrustAsync(trust, body => body["scopes"] = new[] { table.Read })).StatusCode);
        await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, table.Path, token: token)).StatusCode == HttpStatusCode.OK,
            WithinASecond, "granting the trust's new scope");
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.SendAsync(HttpMethod.Post, table.Path, new { x = 1 }, token: token)).StatusCode);
    }

    [Fact]
    public async Task EveryRefusalIs401InvalidTokenAndAuditedWithItsReason()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        await using var stranger = await TestKeyServer.StartAsync();
        await using var strict = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var oneTime = await TrustAsync(strict, jtiCheck: true);
        var (subject, _) = await LocalUserAsync();
        var (inactive, _) = await LocalUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{inactive}", new { active = false })).StatusCode);
        Dictionary<string, object> Claims(Action<Dictionary<string, object>>? change = null)
        {
            var claims = provider.IdTokenClaims(subject, trust.ClientId);
            change?.Invoke(claims);
            return claims;
        }

        var publicKeyAsSecret = new SymmetricSecurityKey(provider.Current.Rsa.ExportRSAPublicKey()) { KeyId = provider.Current.KeyId };
        var impostor = new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = provider.Current.KeyId };
        var replayed = oneTime.Provider.Sign(oneTime.Provider.IdTokenClaims(subject, oneTime.ClientId));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: replayed)).StatusCode);
        var cases = new (string Why, string Token, string Reason)[]
        {
            ("unknown issuer", stranger.Sign(stranger.IdTokenClaims(subject, trust.ClientId)), "unknown issuer"),
            ("bad signature", provider.Sign(Claims(), impostor), "BadSignature"),
            ("alg none", Base64UrlEncoder.Encode("""{"alg":"none"}""") + "." + provider.Sign(Claims()).Split('.')[1] + ".", "AlgorithmNotAllowed"),
            ("algorithm confusion", provider.Sign(Claims(), publicKeyAsSecret, SecurityAlgorithms.HmacSha256), "AlgorithmNotAllowed"),
            ("audience not accepted", provider.Sign(Claims(c => c["aud"] = "another-app")), "WrongAudience"),
            ("expired", provider.Sign(Claims(c => { c["iat"] = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(); c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(); })), "Expired"),
            ("not yet valid", provider.Sign(Claims(c => c["nbf"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds())), "NotYetValid"),
            ("replayed jti", replayed, "Replayed"),
            ("unmapped user", provider.Sign(provider.IdTokenClaims("nobody-" + Guid.NewGuid().ToString("N"), trust.ClientId)), "no user with user_name"),
            ("inactive user", provider.Sign(provider.IdTokenClaims(inactive, trust.ClientId)), "inactive"),
        };

        foreach (var (why, token, _) in cases)
        {
            var response = await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
            Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }

        var refusals = (await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3)))
            .Where(e => e.GetProperty("type").GetString() == "ExternalTokenRefused").Select(e => e.GetProperty("reason").GetString()!).ToArray();
        foreach (var (why, _, reason) in cases)
        {
            Assert.True(refusals.Any(r => r.Contains(reason, StringComparison.Ordinal)), $"{why}: no refusal audited with '{reason}' in [{string.Join(" | ", refusals)}]");
        }

        // An inactive trust refuses even its good tokens.
        Assert.Equal(HttpStatusCode.OK, (await UpdateTrustAsync(trust, body => body["active"] = false)).StatusCode);
        await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: provider.Sign(Claims()))).StatusCode == HttpStatusCode.Unauthorized,
            WithinASecond, "refusing an inactive trust's token");
    }

    [Fact]
    public async Task AProvidersTokenIsNeverAcceptedOnTheAdminApis()
    {
        await using var provider = await TestKeyServer.StartAsync();
        // Even from a trust allowed to map administrators (the others refuse them before the edge's rule).
        var trust = await TrustAsync(provider, allowPrivilegedUsers: true);
        var (admin, _) = await LocalUserAsync(["admin"]);
        var token = provider.Sign(provider.IdTokenClaims(admin, trust.ClientId));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode);

        var response = await _api.SendAsync(HttpMethod.Get, "/api/admin/clients", token: token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task AKeyRotationAtTheProviderIsAcceptedAfterOneRefetchAndCachedKeysOutliveAnOutage()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var (subject, _) = await LocalUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(provider, subject, trust)).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the refetch rate limit (1 s in the tests)
        provider.Rotate();
        var fetches = provider.Fetches;
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(provider, subject, trust)).StatusCode);
        Assert.Equal(fetches + 1, provider.Fetches);

        provider.Down = true;
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(provider, subject, trust)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(provider, subject, trust)).StatusCode);
    }

    [Fact]
    public async Task DeactivatingTheMappedUserRefusesItsValidatedTokenWithinASecond()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var (subject, _) = await LocalUserAsync();
        var token = provider.Sign(provider.IdTokenClaims(subject, trust.ClientId));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{subject}", new { active = false })).StatusCode);

        var took = await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode == HttpStatusCode.Unauthorized, WithinASecond, "refusing the token");
        Assert.True(took < WithinASecond);
    }

    [Fact]
    public async Task AutomaticCreationMakesAnUnknownSubjectAUserWithoutPasswordOrRoles()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, autoProvision: true);
        var subject = TestApi.Unique("ext");

        var response = await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: provider.Sign(provider.IdTokenClaims(subject, trust.ClientId)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/users/{subject}"));
        Assert.True(user.GetProperty("active").GetBoolean());
        Assert.Empty(user.GetProperty("roles").EnumerateArray());
        Assert.Equal(user.GetProperty("sysId").GetString(), (await _api.ReadAsync(response)).GetProperty("subject").GetString());
        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "UserAutoCreated" && e.GetProperty("userName").GetString() == subject,
            TimeSpan.FromSeconds(10));
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "UserAutoCreated" && e.GetProperty("trust").GetString() == trust.Name);
    }

    [Fact]
    public async Task TokenExchangeYieldsAWorkingLocalTokenOnlyForABoundClient()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var scope = await _api.CreateScopeAsync("exchanged");
        var trust = await TrustAsync(provider, scopes: [scope]);
        var (subject, sysId) = await LocalUserAsync();
        var (bound, boundSecret) = await _api.CreateClientAsync([scope], grantTypes: [TokenExchangeGrant], trusts: [trust.Name]);
        var (unbound, unboundSecret) = await _api.CreateClientAsync([scope], grantTypes: ["client_credentials"]);
        var idToken = provider.Sign(provider.IdTokenClaims(subject, trust.ClientId));

        var exchanged = await ExchangeAsync(bound, boundSecret, idToken);
        var body = await _api.ReadAsync(exchanged);
        Assert.True(exchanged.StatusCode == HttpStatusCode.OK, body.GetRawText());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", body.GetProperty("issued_token_type").GetString());
        Assert.Equal(scope, body.GetProperty("scope").GetString());
        Assert.False(body.TryGetProperty("refresh_token", out _));
        var local = body.GetProperty("access_token").GetString()!;
        var seen = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: local));
        Assert.Equal(sysId, seen.GetProperty("subject").GetString());
        Assert.Equal(bound, seen.GetProperty("clientId").GetString());

        Assert.Equal("unauthorized_client", await ErrorAsync(ExchangeAsync(unbound, unboundSecret, idToken)));
        var otherApps = provider.Sign(provider.IdTokenClaims(subject, "an-app-of-someone-else"));
        Assert.Equal("invalid_request", await ErrorAsync(ExchangeAsync(bound, boundSecret, otherApps)));
        Assert.Equal("invalid_request", await ErrorAsync(ExchangeAsync(bound, boundSecret, "not-a-token")));
        Assert.Equal("invalid_target", await ErrorAsync(ExchangeAsync(bound, boundSecret, idToken, ("audience", "https://elsewhere.example"))));
        Assert.Equal("invalid_scope", await ErrorAsync(ExchangeAsync(bound, boundSecret, idToken, ("scope", "useraccount"))));

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "TokenExchanged" && e.GetProperty("clientId").GetString() == bound,
            TimeSpan.FromSeconds(10));
        var audited = events.Single(e => e.GetProperty("type").GetString() == "TokenExchanged" && e.GetProperty("clientId").GetString() == bound);
        Assert.Equal(trust.Name, audited.GetProperty("trust").GetString());
        Assert.Equal(sysId, audited.GetProperty("userSysId").GetString());
    }

    [Fact]
    public async Task TrustsAreValidatedAgainstTheirTemplateAndTheProvidersMetadata()
    {
        await using var provider = await TestKeyServer.StartAsync();

        var common = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("azure"), template = "azure-ad", issuer = "https://login.microsoftonline.com/common/v2.0", clientIds = new[] { "app" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, common.StatusCode);
        Assert.True((await _api.ReadAsync(common)).GetProperty("errors").TryGetProperty("issuer", out _));

        var mismatch = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name = TestApi.Unique("idp"), issuer = provider.Issuer + "/other", metadataUrl = provider.MetadataUrl, clientIds = new[] { "app" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Contains("issuer", (await _api.ReadAsync(mismatch)).GetProperty("errors").GetProperty("metadataUrl")[0].GetString());

        var trust = await TrustAsync(provider);
        var again = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new { name = TestApi.Unique("idp"), issuer = provider.Issuer, clientIds = new[] { "app" } });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var (client, _) = await _api.CreateClientAsync(["useraccount"], grantTypes: [TokenExchangeGrant, "client_credentials"], trusts: [trust.Name]);
        Assert.Equal(HttpStatusCode.Conflict, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust.Name}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await BindAsync(client, "no-such-trust")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/clients/{client}")).StatusCode);
        // federation-trust learns of the deletion from the client's event (ClientUseViewTests).
        await TestApi.EventuallyAsync(async () =>
        {
            await Task.Delay(200);
            return (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust.Name}")).StatusCode == HttpStatusCode.NoContent;
        }, TimeSpan.FromSeconds(15), "deleting the trust its only client left");
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{trust.Name}")).StatusCode);
    }

    private const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

    [Fact]
    public async Task CheckingATrustNowFetchesItsProvidersKeysAndSaysWhenTheProviderIsDownInGenericWords()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        async Task<JsonElement> CheckAsync()
        {
            var response = await _api.SendAsync(HttpMethod.Post, $"/api/admin/trusts/{trust.Name}/check");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await _api.ReadAsync(response);
        }

        var first = await CheckAsync();
        Assert.True(first.GetProperty("ok").GetBoolean(), first.ToString());
        Assert.Equal(provider.JwksUri, first.GetProperty("jwksUri").GetString());
        Assert.Equal([provider.Current.KeyId], first.GetProperty("keyIds").EnumerateArray().Select(k => k.GetString()));

        // A rotation at the provider is seen by the next check past the refetch floor (1 s here, 10 s by default), not after the cached hour.
        provider.Rotate();
        await TestApi.EventuallyAsync(async () => (await CheckAsync()).GetProperty("keyIds").EnumerateArray().Any(k => k.GetString() == provider.Current.KeyId),
            TimeSpan.FromSeconds(3), "the rotated key seen by a check");

        provider.Down = true;
        var down = await CheckAsync();
        Assert.False(down.GetProperty("ok").GetBoolean());
        Assert.Equal("The provider's metadata could not be fetched.", down.GetProperty("problem").GetString());
        Assert.DoesNotContain("127.0.0.1", down.ToString());

        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts/no-such-trust/check")).StatusCode);
    }

    private sealed record Trust(string Name, string ClientId, TestKeyServer Provider);

    private async Task<Trust> TrustAsync(TestKeyServer provider, bool jtiCheck = false, bool autoProvision = false, string[]? scopes = null,
        bool allowPrivilegedUsers = false)
    {
        var name = TestApi.Unique("idp");
        var clientId = TestApi.Unique("app");
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name, issuer = provider.Issuer, clientIds = new[] { clientId }, userClaim = "sub", userField = "user_name", jtiCheck, autoProvision,
            scopes = scopes ?? [], allowPrivilegedUsers,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return new Trust(name, clientId, provider);
    }

    private async Task<HttpResponseMessage> UpdateTrustAsync(Trust trust, Action<Dictionary<string, object?>> change)
    {
        var body = JsonSerializer.Deserialize<Dictionary<string, object?>>((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{trust.Name}"))).GetRawText())!;
        change(body);
        return await _api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust.Name}", body);
    }

    private async Task<(string UserName, string SysId)> LocalUserAsync(string[]? roles = null)
    {
        var userName = TestApi.Unique("fed");
        var user = await _api.CreateUserAsync(userName, roles ?? ["itil"]);
        return (userName, user.GetProperty("sysId").GetString()!);
    }

    [Fact]
    public async Task TokenExchangeWithADpopProofYieldsATokenBoundToTheProofsKey()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var scope = await _api.CreateScopeAsync("exchanged");
        var trust = await TrustAsync(provider, scopes: [scope]);
        var (subject, _) = await LocalUserAsync();
        var (clientId, secret) = await _api.CreateClientAsync([scope], grantTypes: [TokenExchangeGrant], trusts: [trust.Name]);
        var key = new DpopKey();

        using var request = TestApi.FormRequest("/oauth/token",
            [new("grant_type", TokenExchangeGrant), new("subject_token", provider.Sign(provider.IdTokenClaims(subject, trust.ClientId))),
                new("subject_token_type", "urn:ietf:params:oauth:token-type:id_token")], clientId, secret);
        request.Headers.Add("DPoP", key.Proof("POST", system.Issuer + "/oauth/token"));
        var response = await system.Edge.SendAsync(request);
        var body = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.GetRawText());
        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        Assert.Equal(key.Jkt, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(body.GetProperty("access_token").GetString())
            .GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString());
    }

    private async Task<HttpResponseMessage> BindAsync(string clientId, string trust)
    {
        var body = JsonSerializer.Deserialize<Dictionary<string, object?>>((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        body["trusts"] = new[] { trust };
        return await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}", body);
    }

    private Task<HttpResponseMessage> CallAsync(TestKeyServer provider, string subject, Trust trust) =>
        _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: provider.Sign(provider.IdTokenClaims(subject, trust.ClientId)));

    private Task<HttpResponseMessage> ExchangeAsync(string clientId, string secret, string subjectToken, params (string Name, string Value)[] extra) =>
        _api.PostFormAsync("/oauth/token",
            [new("grant_type", TokenExchangeGrant), new("subject_token", subjectToken), new("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
                .. extra.Select(e => new KeyValuePair<string, string>(e.Name, e.Value))], clientId, secret);

    private async Task<string?> ErrorAsync(Task<HttpResponseMessage> response) =>
        (await _api.ReadAsync(await response)).GetProperty("error").GetString();
}
