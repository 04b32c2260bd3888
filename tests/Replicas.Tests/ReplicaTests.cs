using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using OAuthAspire.Testing;
using Xunit.Abstractions;

namespace OAuthAspire.Replicas.Tests;

/// <summary>
/// State that must hold across replicas lives in PostgreSQL and changes travel over RabbitMQ: each
/// test acts on one replica and checks another, addressing replicas directly (past Aspire's proxy).
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaTests(ReplicaSystem system, ITestOutputHelper output)
{
    private const string Redirect = "https://app.example.test/callback";
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task ACodeRedeemedOnOneTokenReplicaIsRefusedOnTheOther()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid"]);
        var (code, verifier) = await _api.AuthorizationCodeAsync(clientId, userName, password, "openid", Redirect);
        var replicas = await system.ReplicasAsync("token");
        using var first = await system.BehindEdgeAsync(replicas[0]);
        using var second = await system.BehindEdgeAsync(replicas[1]);

        using var redeemed = await RedeemAsync(first, clientId, secret!, code, verifier);
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        var accessToken = JsonDocument.Parse(await redeemed.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;

        using var replayed = await RedeemAsync(second, clientId, secret!, code, verifier);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Equal("invalid_grant", JsonDocument.Parse(await replayed.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        // The replay revoked what the first redemption issued, everywhere.
        foreach (var edge in await system.ReplicasAsync("edge"))
        {
            using var client = new HttpClient { BaseAddress = edge.Http };
            await TestApi.EventuallyAsync(async () => (await GetTableAsync(client, accessToken)).StatusCode == HttpStatusCode.Unauthorized,
                TimeSpan.FromSeconds(1), $"edge replica {edge.Id} refusing the replayed code's token");
        }
    }

    [Fact]
    public async Task ARevocationThroughOneEdgeReplicaIsHonouredByEveryEdgeReplicaWithinOneSecond()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var token = (await _api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var edges = await system.ReplicasAsync("edge");
        var clients = edges.Select(e => new HttpClient { BaseAddress = e.Http }).ToArray();
        try
        {
            foreach (var client in clients)
            {
                Assert.Equal(HttpStatusCode.OK, (await GetTableAsync(client, token)).StatusCode);
            }

            using var revoke = TestApi.FormRequest("/oauth/revoke", [new("token", token)], clientId, secret);
            Assert.Equal(HttpStatusCode.OK, (await clients[0].SendAsync(revoke)).StatusCode);

            for (var i = 0; i < clients.Length; i++)
            {
                var took = await TestApi.EventuallyAsync(async () => (await GetTableAsync(clients[i], token)).StatusCode == HttpStatusCode.Unauthorized,
                    TimeSpan.FromSeconds(1), $"edge replica {edges[i].Id} refusing the revoked token");
                output.WriteLine($"edge replica {i + 1} refused the revoked token {took.TotalMilliseconds:F0} ms after the revocation answered");
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task RacingRefreshesAcrossTokenReplicasYieldExactlyOneSuccess()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (clientId, secret) = await _api.CreateWebClientAsync([Redirect], ["openid"], grantTypes: ["authorization_code", "refresh_token"]);
        var signedIn = await _api.CodeFlowAsync(clientId, secret, userName, password, "openid", Redirect);
        Assert.False(signedIn.IsError, signedIn.Error);
        var replicas = await system.ReplicasAsync("token");
        var clients = await Task.WhenAll(replicas.Select(system.BehindEdgeAsync));
        try
        {
            // Two requests per replica, all with the same refresh token, all at once.
            using var start = new SemaphoreSlim(0);
            var racers = Enumerable.Range(0, 4).Select(async i =>
            {
                await start.WaitAsync();
                using var response = await PostFormAsync(clients[i % 2], clientId, secret!,
                    [new("grant_type", "refresh_token"), new("refresh_token", signedIn.RefreshToken!)]);
                return (response.StatusCode, Body: JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
            }).ToArray();
            start.Release(racers.Length);
            var results = await Task.WhenAll(racers);

            var winner = Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
            Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
            {
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Equal("invalid_grant", r.Body.GetProperty("error").GetString());
            });

            // Losing inside the grace window revokes nothing: the winner's token goes on working.
            var next = await _api.RefreshAsync(clientId, secret, winner.Body.GetProperty("refresh_token").GetString()!);
            Assert.False(next.IsError, next.Error);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task AKeyRotatedOnOneTokenReplicaSignsOnEveryReplica()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var rotate = await _api.SendAsync(HttpMethod.Post, "/api/admin/keys/rotate", new { activateAfterSeconds = 0 });
        Assert.Equal(HttpStatusCode.Created, rotate.StatusCode);
        var newKid = (await _api.ReadAsync(rotate)).GetProperty("kid").GetString();

        foreach (var replica in await system.ReplicasAsync("token"))
        {
            using var client = await system.BehindEdgeAsync(replica);
            var took = await TestApi.EventuallyAsync(async () =>
            {
                using var response = await PostFormAsync(client, clientId, secret, [new("grant_type", "client_credentials")]);
                var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
                return new JsonWebToken(token).Kid == newKid;
            }, TimeSpan.FromSeconds(5), $"token replica {replica.Id} signing with the rotated key");
            output.WriteLine($"{replica.Id} signs with the new key {took.TotalMilliseconds:F0} ms after the rotation answered");
        }
    }

    [Fact]
    public async Task AnAccountLocksAfterFailuresSpreadOverTokenReplicas()
    {
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"], grantTypes: ["password"]);
        var replicas = await system.ReplicasAsync("token");
        var clients = await Task.WhenAll(replicas.Select(system.BehindEdgeAsync));
        try
        {
            for (var i = 0; i < 5; i++)
            {
                using var failed = await PostFormAsync(clients[i % 2], clientId, secret,
                    [new("grant_type", "password"), new("username", userName), new("password", "wrong-" + i)]);
                Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
            }

            // Five failures, three on one replica and two on the other: locked on both.
            foreach (var client in clients)
            {
                using var locked = await PostFormAsync(client, clientId, secret,
                    [new("grant_type", "password"), new("username", userName), new("password", password)]);
                Assert.Equal(HttpStatusCode.BadRequest, locked.StatusCode);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task EachDatabaseHasExactlyOneAuditRelay()
    {
        foreach (var database in new[] { "authorizedb", "tokendb", "clientregistrydb", "federationtrustdb", "scopepolicydb", "directorydb", "edgedb" })
        {
            await using var source = await system.DatabaseAsync(database);
            await TestApi.EventuallyAsync(async () =>
            {
                await using var command = source.CreateCommand("""
                    SELECT count(*) FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND classid = 2570 AND objid = 1592590338
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """);
                return (long)(await command.ExecuteScalarAsync())! == 1;
            }, TimeSpan.FromSeconds(10), $"one relay holding {database}'s lock");
        }
    }

    [Fact]
    public async Task ADpopProofSpentOnOneReplicaIsRefusedOnTheOtherAtTheTokenEndpointAndAtTheEdge()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var key = new DpopKey();
        var tokenUrl = system.Issuer + "/oauth/token";
        var tokens = await Task.WhenAll((await system.ReplicasAsync("token")).Select(system.BehindEdgeAsync));
        var edges = (await system.ReplicasAsync("edge")).Select(e => new HttpClient { BaseAddress = e.Http }).ToArray();
        try
        {
            // The token endpoint: the proof's id is recorded where every replica sees it.
            var proof = key.Proof("POST", tokenUrl);
            using var issued = await PostFormAsync(tokens[0], clientId, secret, [new("grant_type", "client_credentials")], proof);
            var body = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement;
            Assert.True(issued.StatusCode == HttpStatusCode.OK, body.GetRawText());
            var token = body.GetProperty("access_token").GetString()!;
            using var replayed = await PostFormAsync(tokens[1], clientId, secret, [new("grant_type", "client_credentials")], proof);
            Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
            Assert.Equal("invalid_dpop_proof", JsonDocument.Parse(await replayed.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

            // The edge: a proof carries a nonce of the replica that accepted it, which no other replica issued.
            var apiUrl = system.Issuer + "/api/now/identity";
            const string path = "/api/now/identity";
            using var ask = key.Request(HttpMethod.Get, apiUrl, token, sendTo: path);
            var nonce = DpopKey.NonceOf(await edges[0].SendAsync(ask));
            using var spent = key.Request(HttpMethod.Get, apiUrl, token, nonce, sendTo: path);
            Assert.Equal(HttpStatusCode.OK, (await edges[0].SendAsync(spent)).StatusCode);

            using var elsewhere = new HttpRequestMessage(HttpMethod.Get, path);
            elsewhere.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
            elsewhere.Headers.Add("DPoP", spent.Headers.GetValues("DPoP").Single());
            var refused = await edges[1].SendAsync(elsewhere);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.StartsWith("DPoP error=\"use_dpop_nonce\"", refused.Headers.WwwAuthenticate.ToString());

            // With the other replica's own nonce, a fresh proof goes through there.
            using var fresh = key.Request(HttpMethod.Get, apiUrl, token, DpopKey.NonceOf(refused), sendTo: path);
            Assert.Equal(HttpStatusCode.OK, (await edges[1].SendAsync(fresh)).StatusCode);
        }
        finally
        {
            foreach (var client in tokens.Concat(edges))
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task ADevicePollingDifferentReplicasIsSlowedDownAlikeAndItsUserApprovesThroughAnyEdge()
    {
        const string deviceGrant = "urn:ietf:params:oauth:grant-type:device_code";
        var (clientId, secret) = await _api.CreateWebClientAsync([], ["openid", "useraccount"], grantTypes: [deviceGrant], name: "Replica TV");
        var (userName, _, password) = await _api.CreateSignInUserAsync();
        var tokens = await Task.WhenAll((await system.ReplicasAsync("token")).Select(system.BehindEdgeAsync));
        var edges = (await system.ReplicasAsync("edge")).Select(e => e.Http).ToArray();
        try
        {
            using var edge = new HttpClient { BaseAddress = edges[0] };
            using var start = TestApi.FormRequest("/oauth/device_authorization", [new("scope", "openid useraccount")], clientId, secret);
            var device = JsonDocument.Parse(await (await edge.SendAsync(start)).Content.ReadAsStringAsync()).RootElement;
            var deviceCode = device.GetProperty("device_code").GetString()!;
            KeyValuePair<string, string>[] poll = [new("grant_type", deviceGrant), new("device_code", deviceCode)];

            // One token replica says pending; the other, asked at once, knows the device polled too soon.
            Assert.Equal("authorization_pending", await ErrorAsync(await PostFormAsync(tokens[0], clientId, secret!, poll)));
            Assert.Equal("slow_down", await ErrorAsync(await PostFormAsync(tokens[1], clientId, secret!, poll)));

            // The user approves through the other edge replica (and whichever authorize replicas it reaches).
            using (var browser = new FormBrowser(edges[1]))
            {
                await browser.GetAsync(device.GetProperty("verification_uri_complete").GetString()!.Replace(system.Issuer, "", StringComparison.Ordinal));
                await browser.SignInAsync(userName, password);
                await browser.SubmitAsync(("user_code", device.GetProperty("user_code").GetString()!));
                Assert.Contains("Replica TV on a device wants to access your account", browser.Html, StringComparison.Ordinal);
                await browser.SubmitAsync(("decision", "approve"));
                Assert.Contains("Device approved", browser.Html, StringComparison.Ordinal);
            }

            // Approved: one redemption on either replica, never a second on the other.
            using var redeemed = await PostFormAsync(tokens[1], clientId, secret!, poll);
            Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
            Assert.Equal("invalid_grant", await ErrorAsync(await PostFormAsync(tokens[0], clientId, secret!, poll)));
        }
        finally
        {
            foreach (var client in tokens)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<string?> ErrorAsync(HttpResponseMessage response)
    {
        using (response)
        {
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
    }

    private static async Task<HttpResponseMessage> GetTableAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/table/incident");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> RedeemAsync(HttpClient client, string clientId, string secret, string code, string verifier) =>
        PostFormAsync(client, clientId, secret,
            [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", Redirect), new("code_verifier", verifier)]);

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string clientId, string secret, KeyValuePair<string, string>[] form,
        string? dpopProof = null)
    {
        using var request = TestApi.FormRequest("/oauth/token", form, clientId, secret);
        if (dpopProof is not null)
        {
            request.Headers.Add("DPoP", dpopProof);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task TheMutualTlsListenerServesCertificateBoundTokensThroughEveryEdgeReplica()
    {
        var certificate = TestClientCertificates.SelfSigned();
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "certificate-bound across replicas",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientCertificates = new[] { TestClientCertificates.Base64(certificate) },
            tlsClientCertificateBoundAccessTokens = true,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var clientId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("clientId").GetString()!;

        // Aspire's proxy passes TLS through to the replicas: each connection is a new chance of another one.
        for (var i = 0; i < 4; i++)
        {
            using var owner = system.MtlsClient(certificate);
            using var issued = await owner.PostAsync("/oauth/token",
                new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", clientId)]));
            var body = await issued.Content.ReadAsStringAsync();
            Assert.True(issued.StatusCode == HttpStatusCode.OK, body);
            var token = JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
            using var call = new HttpRequestMessage(HttpMethod.Get, "/api/now/identity") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
            using var answer = await owner.SendAsync(call);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
    }
}
