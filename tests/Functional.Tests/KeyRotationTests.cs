using Aspire.Hosting.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

[Collection(SystemCollection.Name)]
public sealed class KeyRotationTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task RevokingSuccessorsBeforeTheySignKeepsTheKeyBeforeEachInLineWithNoSuddenReplacement()
    {
        // ES256, so the other tests' RS256 tokens stay as they are whatever happens here.
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Put, $"/api/admin/clients/{clientId}",
            await WithAsync(clientId, "accessTokenSigningAlg", "ES256"))).StatusCode);
        var currentKid = new JsonWebToken((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken).Kid;

        // Two successors published ahead, B then C; C is revoked first, then B.
        var b = await RotateES256Async(3600);
        var c = await RotateES256Async(7200);
        foreach (var (revoke, backInLine) in new[] { (c, b), (b, currentKid) })
        {
            var revoked = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Post, $"/api/admin/keys/{revoke}/revoke"));
            Assert.True(!revoked.TryGetProperty("replacementKid", out var replacement) || replacement.ValueKind == JsonValueKind.Null, revoked.GetRawText());

            // The key before it in line retires when it would have (never, being last now), so no key is made
            // to sign at once, unknown to relying parties, in the gap.
            var keys = (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/keys"))).EnumerateArray().ToList();
            var kept = keys.Single(k => k.GetProperty("kid").GetString() == backInLine);
            Assert.True(!kept.TryGetProperty("retiresAt", out var retires) || retires.ValueKind == JsonValueKind.Null, kept.GetRawText());
            Assert.DoesNotContain(keys, k => k.GetProperty("algorithm").GetString() == "ES256"
                && k.GetProperty("kid").GetString() is var kid && kid != currentKid && kid != b && kid != c && k.GetProperty("status").GetString() != "retired");
        }

        Assert.Equal(currentKid, new JsonWebToken((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken).Kid);
    }

    private async Task<string> RotateES256Async(int activateAfterSeconds)
    {
        var rotate = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds, algorithm = "ES256" });
        Assert.Equal(HttpStatusCode.Created, rotate.StatusCode);
        return (await _api.ReadAsync(rotate)).GetProperty("kid").GetString()!;
    }

    /// <summary>The client as the admin API shows it, with one member changed (for a PUT).</summary>
    private async Task<Dictionary<string, object?>> WithAsync(string clientId, string member, object value)
    {
        var client = JsonSerializer.Deserialize<Dictionary<string, object?>>(
            (await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, $"/api/admin/clients/{clientId}"))).GetRawText())!;
        client[member] = value;
        return client;
    }

    [Fact]
    public async Task AKeyRotationWhileTokensAreInUseKeepsOldTokensValidAndSignsNewOnesWithTheNewKey()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var before = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var oldKid = new JsonWebToken(before).Kid;
        await using var resourceServer = await ResourceServer.StartAsync(system.Issuer);
        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(resourceServer, before)).StatusCode);

        var rotate = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds = 2 });
        Assert.Equal(HttpStatusCode.Created, rotate.StatusCode);
        var newKid = (await _api.ReadAsync(rotate)).GetProperty("kid").GetString();
        Assert.NotEqual(oldKid, newKid);

        // Published before it signs.
        var jwks = JsonDocument.Parse(await system.Edge.GetStringAsync("/oauth/jwks")).RootElement.GetProperty("keys")
            .EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToArray();
        Assert.Contains(oldKid, jwks);
        Assert.Contains(newKid, jwks);
        Assert.Equal(oldKid, new JsonWebToken((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken).Kid);

        await TestApi.EventuallyAsync(async () => new JsonWebToken((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken).Kid == newKid,
            TimeSpan.FromSeconds(10), "signing with the new key");
        var after = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;

        // A relying party that fetched the keys after the new one was published takes both tokens
        // (one that fetched just before waits up to JwtBearer's 5-minute refetch interval: hence
        // the default publish lead of 10 minutes for rotations on demand).
        await using var freshResourceServer = await ResourceServer.StartAsync(system.Issuer);
        foreach (var token in new[] { before, after })
        {
            Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(freshResourceServer, token)).StatusCode);
            // The sample API behind the edge checks tokens itself too and may have fetched the keys
            // just before the rotation: it refetches on the unknown kid within its 10 s interval.
            await TestApi.EventuallyAsync(async () => (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token)).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15), "the API accepting a token signed by the new key");
        }

        Assert.Equal(HttpStatusCode.OK, (await WhoAmIAsync(resourceServer, before)).StatusCode);

        var keys = await _api.ReadAsync(await _api.SendAsync(HttpMethod.Get, "/api/admin/keys"));
        Assert.Equal("retired", keys.EnumerateArray().Single(k => k.GetProperty("kid").GetString() == oldKid).GetProperty("status").GetString());
        Assert.Equal("active", keys.EnumerateArray().Single(k => k.GetProperty("kid").GetString() == newKid).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ARevokedKeyLeavesTheJwksAtOnceAndEveryTokenItSignedIsRefusedWithinASecond()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var signed = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var kid = new JsonWebToken(signed).Kid;
        Assert.Equal(HttpStatusCode.OK, (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: signed)).StatusCode);

        var revoke = await _api.SendAsync(HttpMethod.Post, $"/api/admin/keys/{kid}/revoke");
        var body = await _api.ReadAsync(revoke);
        Assert.True(revoke.StatusCode == HttpStatusCode.OK, body.GetRawText());
        var replacement = body.GetProperty("replacementKid").GetString();
        Assert.NotNull(replacement);

        var jwks = JsonDocument.Parse(await system.Edge.GetStringAsync("/oauth/jwks")).RootElement.GetProperty("keys")
            .EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToArray();
        Assert.DoesNotContain(kid, jwks);
        Assert.Contains(replacement, jwks);
        await TestApi.EventuallyAsync(async () =>
            (await _api.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: signed)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "the edge refusing a token signed by a revoked key");
        var introspection = await _api.PostFormAsync("/oauth/introspect", [new("token", signed)], clientId, secret);
        Assert.False((await _api.ReadAsync(introspection)).GetProperty("active").GetBoolean());

        // The replacement signs at once; the old admin token is gone with the key, so ask again.
        var fresh = new TestApi(system);
        var after = (await fresh.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        Assert.Equal(replacement, new JsonWebToken(after).Kid);
        // The sample API checks tokens itself too, and fetches the new key on its unknown kid within its 10 s interval.
        await TestApi.EventuallyAsync(async () => (await fresh.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: after)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the API accepting a token signed by the replacement key");
        Assert.Equal(HttpStatusCode.NotFound, (await fresh.SendAsync(HttpMethod.Post, $"/api/admin/keys/{kid}/revoke")).StatusCode);

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "SigningKeyRevoked", TimeSpan.FromSeconds(10));
        var audited = events.Single(e => e.GetProperty("type").GetString() == "SigningKeyRevoked");
        Assert.Equal(kid, audited.GetProperty("kid").GetString());
        Assert.Equal(replacement, audited.GetProperty("replacementKid").GetString());
    }

    [Fact]
    public async Task ARetiredKeyRevokedWithoutAReplacementIsRefusedByTheEdgeWithinASecond()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var signed = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var kid = new JsonWebToken(signed).Kid;
        // A new key signs at once; the old one retires but stays published for its tokens.
        var rotate = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, rotate.StatusCode);
        var fresh = new TestApi(system);
        await TestApi.EventuallyAsync(async () => (await fresh.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: signed)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the retired key's token still accepted");

        var revoke = await fresh.SendAsync(HttpMethod.Post, $"/api/admin/keys/{kid}/revoke");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        // No key was in service to replace: only the revocation itself tells the edge.
        Assert.False((await fresh.ReadAsync(revoke)).TryGetProperty("replacementKid", out var replacement) && replacement.ValueKind != JsonValueKind.Null);

        await TestApi.EventuallyAsync(async () =>
            (await fresh.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: signed)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), "the edge refusing a token of a revoked retired key");

        // Leave the shared system settled: the sample API knows the key that signs now (it
        // refetches on an unknown kid within its 10 s interval), so the next test's tokens pass.
        var current = (await fresh.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        await TestApi.EventuallyAsync(async () => (await fresh.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: current)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the API accepting a token of the key that signs now");
    }

    [Fact]
    public async Task RevokingTheSigningKeyWhileItsSuccessorIsOnlyPublishedStillLeavesAKeyThatSigns()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var kid = new JsonWebToken((await _api.ClientCredentialsAsync(clientId, secret)).AccessToken).Kid;
        // A successor published ahead, not signing for ten minutes (as a scheduled rotation leaves it).
        Assert.Equal(HttpStatusCode.Created, (await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds = 600 })).StatusCode);

        var revoke = await _api.SendAsync(HttpMethod.Post, $"/api/admin/keys/{kid}/revoke");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var replacement = (await _api.ReadAsync(revoke)).GetProperty("replacementKid").GetString();

        var fresh = new TestApi(system);
        var token = await fresh.ClientCredentialsAsync(clientId, secret);
        Assert.False(token.IsError, token.Raw);
        Assert.Equal(replacement, new JsonWebToken(token.AccessToken).Kid);
        await TestApi.EventuallyAsync(async () => (await fresh.SendAsync(HttpMethod.Get, "/api/now/table/incident", token: token.AccessToken)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the API accepting a token of the key that signs now");
    }

    private static async Task<HttpResponseMessage> WhoAmIAsync(ResourceServer server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await server.Client.SendAsync(request);
    }
}
