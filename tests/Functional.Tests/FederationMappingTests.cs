using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Which local user a trusted provider's token may stand for: an email only when the provider
/// verified it, never an administrator unless the trust allows it, and once a provider subject
/// (iss, sub) is linked to a user, that user whatever the subject's claim says later, and no other
/// subject claiming the same address (the "nOAuth" takeover).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FederationMappingTests(SystemFixture system)
{
    private static readonly TimeSpan WithinASecond = TimeSpan.FromSeconds(1);
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AnEmailWithoutEmailVerifiedTrueMapsNoUser()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, userClaim: "email", userField: "email");
        var user = await LocalUserAsync();

        foreach (var verified in new object?[] { null, false, "true" })
        {
            var response = await CallAsync(trust, Guid.NewGuid().ToString("N"), user.Email, verified);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"email_verified {verified ?? "absent"}: {response.StatusCode}");
        }

        var accepted = await CallAsync(trust, Guid.NewGuid().ToString("N"), user.Email, true);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(user.SysId, (await _api.ReadAsync(accepted)).GetProperty("subject").GetString());
        var events = await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3));
        Assert.Equal(3, events.Count(e => IsRefusal(e, trust) && e.GetProperty("reason").GetString()!.Contains("email_verified", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnAdministratorIsNotMappedUnlessTheTrustAllowsPrivilegedUsers()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var admin = await LocalUserAsync(["itil", "mi_admin"]);
        var token = provider.Sign(provider.IdTokenClaims(admin.UserName, trust.ClientId));

        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode);
        var refusals = await queue.ReadUntilAsync(e => IsRefusal(e, trust), TimeSpan.FromSeconds(10));
        Assert.Equal("mapped user holds an administrative role", refusals.Last(e => IsRefusal(e, trust)).GetProperty("reason").GetString());

        var allowed = await UpdateTrustAsync(trust, body => body["allowPrivilegedUsers"] = true);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var saved = await _api.ReadAsync(allowed);
        Assert.True(saved.GetProperty("allowPrivilegedUsers").GetBoolean());
        Assert.Contains(saved.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("allowPrivilegedUsers", StringComparison.Ordinal));
        await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode == HttpStatusCode.OK,
            WithinASecond, "mapping the administrator once the trust allows it");
    }

    [Fact]
    public async Task AMappedUserPromotedToAdministratorIsRefusedDespiteTheEdgesCache()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider);
        var user = await LocalUserAsync();
        var token = provider.Sign(provider.IdTokenClaims(user.UserName, trust.ClientId));
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode);

        var promoted = await _api.SendAsync(HttpMethod.Put, $"/api/admin/users/{user.UserName}", new { email = user.Email, roles = new[] { "itil", "oauth_admin" } });
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);

        await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: token)).StatusCode == HttpStatusCode.Unauthorized,
            WithinASecond, "refusing the validated token of a user who became an administrator");
    }

    [Fact]
    public async Task ASecondSubjectClaimingALinkedUsersEmailIsRefusedUntilAnAdministratorUnlinksIt()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, userClaim: "email", userField: "email");
        var victim = await LocalUserAsync();
        var owner = Guid.NewGuid().ToString("N");
        var intruder = Guid.NewGuid().ToString("N");

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(trust, owner, victim.Email)).StatusCode);
        // Another subject of the same provider (another tenant's user) who set, even verified, the same address.
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(trust, intruder, victim.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(trust, owner, victim.Email)).StatusCode);

        var events = await queue.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(3));
        var linked = events.Single(e => e.GetProperty("type").GetString() == "ExternalSubjectLinked" && e.GetProperty("trust").GetString() == trust.Name);
        Assert.Equal(owner, linked.GetProperty("subject").GetString());
        Assert.Equal(victim.SysId, linked.GetProperty("userSysId").GetString());
        Assert.Contains("linked to another subject", events.Last(e => IsRefusal(e, trust)).GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The administrator frees the user: the next subject to claim the address gets it, and only it.
        Assert.Equal(HttpStatusCode.NoContent, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust.Name}/links/{victim.SysId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.SendAsync(HttpMethod.Delete, $"/api/admin/trusts/{trust.Name}/links/{victim.SysId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(trust, intruder, victim.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(trust, owner, victim.Email)).StatusCode);
    }

    [Fact]
    public async Task ALinkedSubjectKeepsItsUserWhenTheProviderChangesItsEmail()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, userClaim: "email", userField: "email");
        var first = await LocalUserAsync();
        var other = await LocalUserAsync();
        var subject = Guid.NewGuid().ToString("N");
        Assert.Equal(first.SysId, await MappedUserAsync(trust, subject, first.Email));

        Assert.Equal(first.SysId, await MappedUserAsync(trust, subject, $"renamed-{Guid.NewGuid():N}@elsewhere.example"));
        // Even an address that names another local user: the link decides, not the claim.
        Assert.Equal(first.SysId, await MappedUserAsync(trust, subject, other.Email));
        Assert.Equal(other.SysId, await MappedUserAsync(trust, Guid.NewGuid().ToString("N"), other.Email));
    }

    [Fact]
    public async Task ChangingATrustsIssuerForgetsTheOldIssuersLinks()
    {
        await using var provider = await TestKeyServer.StartAsync();
        await using var successor = await TestKeyServer.StartAsync();
        var trust = await TrustAsync(provider, userClaim: "email", userField: "email");
        var user = await LocalUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(trust, Guid.NewGuid().ToString("N"), user.Email)).StatusCode);

        var moved = await UpdateTrustAsync(trust, body => { body["issuer"] = successor.Issuer; body["metadataUrl"] = successor.MetadataUrl; });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);

        // The old subject can never present a token here again: its user is free for the new issuer's.
        Assert.Equal(user.SysId, await MappedUserAsync(trust with { Provider = successor }, Guid.NewGuid().ToString("N"), user.Email));
    }

    [Fact]
    public async Task SavingATrustThatMapsAMutableClaimSucceedsWithWarnings()
    {
        await using var provider = await TestKeyServer.StartAsync();
        var name = TestApi.Unique("idp");
        var created = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new
        {
            name, issuer = provider.Issuer, clientIds = new[] { TestApi.Unique("app") }, userClaim = "preferred_username", userField = "user_name",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var warning = Assert.Single((await _api.ReadAsync(created)).GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.StartsWith("userClaim 'preferred_username'", warning);
        Assert.Single((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{name}"))).GetProperty("warnings").EnumerateArray());

        var trust = new Trust(name, "", provider);
        var email = await UpdateTrustAsync(trust, body => { body["userClaim"] = "email"; body["userField"] = "email"; });
        Assert.Equal(HttpStatusCode.OK, email.StatusCode);
        Assert.Contains("email_verified", Assert.Single((await _api.ReadAsync(email)).GetProperty("warnings").EnumerateArray()).GetString(), StringComparison.Ordinal);

        var stable = await UpdateTrustAsync(trust, body => body["userClaim"] = "sub");
        Assert.Equal(HttpStatusCode.OK, stable.StatusCode);
        Assert.Empty((await _api.ReadAsync(stable)).GetProperty("warnings").EnumerateArray());
        Assert.False((await _api.ReadAsync(stable)).GetProperty("allowPrivilegedUsers").GetBoolean());
    }

    private sealed record Trust(string Name, string ClientId, TestKeyServer Provider);

    private sealed record LocalUser(string UserName, string SysId, string Email);

    private static bool IsRefusal(JsonElement e, Trust trust) =>
        e.GetProperty("type").GetString() == "ExternalTokenRefused" && e.GetProperty("trust").GetString() == trust.Name;

    private async Task<Trust> TrustAsync(TestKeyServer provider, string userClaim = "sub", string userField = "user_name")
    {
        var name = TestApi.Unique("idp");
        var clientId = TestApi.Unique("app");
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new { name, issuer = provider.Issuer, clientIds = new[] { clientId }, userClaim, userField });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return new Trust(name, clientId, provider);
    }

    private async Task<HttpResponseMessage> UpdateTrustAsync(Trust trust, Action<Dictionary<string, object?>> change)
    {
        var body = JsonSerializer.Deserialize<Dictionary<string, object?>>((await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/trusts/{trust.Name}"))).GetRawText())!;
        change(body);
        return await _api.SendAsync(HttpMethod.Put, $"/api/admin/trusts/{trust.Name}", body);
    }

    private async Task<LocalUser> LocalUserAsync(string[]? roles = null)
    {
        var userName = TestApi.Unique("fed");
        var user = await _api.CreateUserAsync(userName, roles ?? ["itil"]);
        return new LocalUser(userName, user.GetProperty("sysId").GetString()!, $"{userName}@example.com");
    }

    /// <summary>An API call with a fresh ID token of the given subject carrying the given address, verified.</summary>
    private Task<HttpResponseMessage> CallAsync(Trust trust, string subject, string email) => CallAsync(trust, subject, email, true);

    /// <param name="emailVerified">The <c>email_verified</c> claim as sent; null leaves it out.</param>
    private Task<HttpResponseMessage> CallAsync(Trust trust, string subject, string email, object? emailVerified)
    {
        var claims = trust.Provider.IdTokenClaims(subject, trust.ClientId);
        claims["email"] = email;
        if (emailVerified is not null)
        {
            claims["email_verified"] = emailVerified;
        }

        return _api.SendAsync(HttpMethod.Get, "/api/now/identity", token: trust.Provider.Sign(claims));
    }

    private async Task<string?> MappedUserAsync(Trust trust, string subject, string email)
    {
        var response = await CallAsync(trust, subject, email);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{email}: {response.StatusCode}");
        return (await _api.ReadAsync(response)).GetProperty("subject").GetString();
    }
}
