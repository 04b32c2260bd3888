using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using OAuthAspire.AuditTail;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Abusive callers are limited at the edge — per client, per address and per failing address on the
/// token endpoint, per user on the login form, per client and per address on the APIs, per address
/// on the authorization endpoint — with 429, Retry-After and the RateLimit headers; each limit counts
/// only its own key. (The fixture sets token/client 1500, token/address 3000, failed
/// authentications/address 1000, API/client 600, API/address 3000, authorize/address 2000 and
/// login/user 10 per minute; each test calls from its own loopback address.)
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RateLimitTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task TheLoginFormIsLimitedPerUserAndTheFirstRefusalIsAudited()
    {
        var victim = TestApi.Unique("victim");
        var other = TestApi.Unique("bystander");
        await using var reader = await AuditStreamReader.OpenAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!, new StartAt.Next());
        using var client = system.EdgeFrom("127.0.0.4", followRedirects: false);

        for (var i = 0; i < 10; i++)
        {
            using var attempt = await LoginAsync(client, victim);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, attempt.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            using var refused = await LoginAsync(client, victim.ToUpperInvariant());
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            AssertRateLimitHeaders(refused, "LoginPerUser", 10);
            Assert.Equal("text/html", refused.Content.Headers.ContentType?.MediaType);
        }

        using var bystander = await LoginAsync(client, other);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, bystander.StatusCode);

        // The typed name is recorded only as a keyed hash: it may be no account, or a password typed in the wrong field.
        var hashed = new KeyedHash(await system.ParameterAsync("user-name-hash-key"), KeyedHash.RateLimitedUserPurpose)
            .HexOf(victim.ToLowerInvariant());
        bool Audited(JsonElement e) => e.GetProperty("type").GetString() == "RateLimited" && e.GetProperty("key").GetString() == hashed;
        await reader.ReadUntilAsync(entries => entries.Any(e => Audited(e.Event)), TimeSpan.FromSeconds(15));
        await reader.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(1));
        var audited = Assert.Single(reader.Events, Audited);
        Assert.Equal("LoginPerUser", audited.GetProperty("limit").GetString());
        Assert.Equal("127.0.0.4", audited.GetProperty("remoteAddress").GetString());
        Assert.DoesNotContain(reader.Events, e => e.GetRawText().Contains(victim, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TheTokenEndpointIsLimitedPerClient()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        var (otherId, otherSecret) = await _api.CreateClientAsync(["useraccount"]);
        using var client = system.EdgeFrom("127.0.0.5");
        var (allowed, refused) = await HammerAsync(1800, () => TestApi.ClientCredentialsRequest(clientId, secret), client);

        Assert.InRange(allowed, 1500, 1799);
        var response = refused!;
        AssertRateLimitHeaders(response.Value.Response, "TokenPerClient", 1500);
        Assert.Equal("temporarily_unavailable", JsonDocument.Parse(response.Value.Body).RootElement.GetProperty("error").GetString());

        using var another = await client.SendAsync(TestApi.ClientCredentialsRequest(otherId, otherSecret));
        Assert.Equal(HttpStatusCode.OK, another.StatusCode);
    }

    [Fact]
    public async Task TheTokenEndpointIsLimitedPerAddress()
    {
        using var client = system.EdgeFrom("127.0.0.6");
        // Requests refused before any client authentication (not a form): nothing but the address to count them by.
        var (allowed, refused) = await HammerAsync(4000, () => new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        }, client);

        Assert.InRange(allowed, 3000, 3999);
        AssertRateLimitHeaders(refused!.Value.Response, "TokenPerAddress", 3000);

        using var elsewhere = system.EdgeFrom("127.0.0.7");
        using var fine = await elsewhere.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, fine.StatusCode);
    }

    [Fact]
    public async Task ApisAreLimitedPerClient()
    {
        var token = await _api.TokenAsync(["useraccount"]);
        var other = await _api.TokenAsync(["useraccount"]);
        using var client = system.EdgeFrom("127.0.0.8");
        var (allowed, refused) = await HammerAsync(700, () => Get(token), client);

        Assert.InRange(allowed, 600, 699);
        AssertRateLimitHeaders(refused!.Value.Response, "ApiPerClient", 600);
        Assert.Equal("application/json", refused.Value.Response.Content.Headers.ContentType?.MediaType);

        using var fine = await client.SendAsync(Get(other));
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task FailedClientAuthenticationsAreChargedToTheAddressNeverToTheClientTheyName()
    {
        var (victim, secret) = await _api.CreateClientAsync(["useraccount"]);
        // 2,000 wrong secrets naming the victim, more than its 1,500 allowance, from 2 addresses:
        // each address is stopped after its 1,000 failures, and the victim is charged nothing.
        for (var i = 0; i < 2; i++)
        {
            using var attacker = system.EdgeFrom($"127.0.0.{30 + i}");
            var (allowed, refused) = await HammerAsync(1100, () => TestApi.ClientCredentialsRequest(victim, "wrong-secret"), attacker);
            Assert.InRange(allowed, 1000, 1099);
            AssertRateLimitHeaders(refused!.Value.Response, "TokenAuthFailuresPerAddress", 1000);
        }

        using var owner = system.EdgeFrom("127.0.0.29");
        using var response = await owner.SendAsync(TestApi.ClientCredentialsRequest(victim, secret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AChunkedLoginFormIsLimitedPerUserLikeAnyOther()
    {
        var victim = TestApi.Unique("chunked");
        using var client = system.EdgeFrom("127.0.0.13", followRedirects: false);
        HttpStatusCode Last = default;
        for (var i = 0; i < 11; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/login/00000000000000000000000000000000")
            {
                Content = new FormUrlEncodedContent([new("username", victim), new("password", "guess-" + i)]),
            };
            request.Headers.TransferEncodingChunked = true;
            using var response = await client.SendAsync(request);
            Last = response.StatusCode;
            if (i < 10)
            {
                Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
            }
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, Last);
    }

    [Fact]
    public async Task ApisAndTheAuthorizationEndpointAreLimitedPerAddressBeforeAnyTokenCheck()
    {
        using var apiCaller = system.EdgeFrom("127.0.0.14");
        var (allowed, refused) = await HammerAsync(3600, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/table/incident");
            request.Headers.Authorization = new("Bearer", "not-a-token");
            return request;
        }, apiCaller);
        Assert.InRange(allowed, 3000, 3599);
        AssertRateLimitHeaders(refused!.Value.Response, "ApiPerAddress", 3000);

        using var browser = system.EdgeFrom("127.0.0.15", followRedirects: false);
        (allowed, refused) = await HammerAsync(2400, () => new HttpRequestMessage(HttpMethod.Get, "/oauth/authorize?client_id=nobody"), browser);
        Assert.InRange(allowed, 2000, 2399);
        AssertRateLimitHeaders(refused!.Value.Response, "AuthorizePerAddress", 2000);
        Assert.Equal("text/html", refused.Value.Response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AFloodOfForeignTokensCostsOneCallPerTokenAndIdenticalRefusalsAreAuditedOnceWithACount()
    {
        await using var reader = await AuditStreamReader.OpenAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!, new StartAt.Next());
        using var caller = system.EdgeFrom("127.0.0.16");
        var issuer = $"https://{Guid.NewGuid():N}.unknown.example";
        string Foreign(int i) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object> { ["sub"] = $"someone-{i}" },
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });

        // One token replayed 30 times, then 20 different ones, all from one address.
        var replayed = Foreign(0);
        var tokens = Enumerable.Repeat(replayed, 30).Concat(Enumerable.Range(1, 20).Select(Foreign)).ToArray();
        foreach (var token in tokens)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/table/incident");
            request.Headers.Authorization = new("Bearer", token);
            using var response = await caller.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        bool Mine(JsonElement e) => e.TryGetProperty("issuer", out var i) && i.GetString() == issuer
            || e.TryGetProperty("eventType", out var t) && t.GetString() == "ExternalTokenRefused" && e.GetProperty("remoteAddress").GetString() == "127.0.0.16";
        await reader.ReadUntilAsync(entries => entries.Any(e => e.Event.GetProperty("type").GetString() == "RefusalsRepeated" && Mine(e.Event)),
            TimeSpan.FromSeconds(20));
        var refusals = reader.Events.Where(e => e.GetProperty("type").GetString() == "ExternalTokenRefused" && Mine(e)).ToArray();
        var repeated = reader.Events.Where(e => e.GetProperty("type").GetString() == "RefusalsRepeated" && Mine(e)).ToArray();
        // 21 distinct tokens reached federation-trust (the replays were remembered as refused);
        // they were identical refusals from one source: one written, the other 20 counted.
        Assert.Single(refusals);
        Assert.Equal(20, repeated.Sum(e => e.GetProperty("count").GetInt32()));
    }

    private static void AssertRateLimitHeaders(HttpResponseMessage response, string limit, int permits)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.Equal($"\"{limit}\";q={permits};w=60", Assert.Single(response.Headers.GetValues("RateLimit-Policy")));
        Assert.Matches($"^\"{limit}\";r=0;t=[1-9][0-9]*$", Assert.Single(response.Headers.GetValues("RateLimit")));
        Assert.Equal(permits.ToString(), Assert.Single(response.Headers.GetValues("X-RateLimit-Limit")));
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("X-RateLimit-Remaining")));
        var reset = long.Parse(Assert.Single(response.Headers.GetValues("X-RateLimit-Reset")));
        Assert.InRange(reset, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds());
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
    }

    /// <summary>Sends up to <paramref name="count"/> requests, eight at a time, until one is refused; counts those let through.</summary>
    private static async Task<(int Allowed, (HttpResponseMessage Response, string Body)? Refused)> HammerAsync(
        int count, Func<HttpRequestMessage> request, HttpClient client)
    {
        var allowed = 0;
        var refused = new ConcurrentQueue<(HttpResponseMessage, string)>();
        // Once one is refused no new request starts; those already sent finish and are counted
        // (cancelling them would hide requests the server let through).
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            if (!refused.IsEmpty)
            {
                return;
            }

            var response = await client.SendAsync(request());
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused.Enqueue((response, await response.Content.ReadAsStringAsync()));
                return;
            }

            Interlocked.Increment(ref allowed);
            response.Dispose();
        });

        return (allowed, refused.TryDequeue(out var first) ? first : null);
    }

    private static HttpRequestMessage Get(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/now/table/incident");
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string userName) =>
        client.PostAsync("/oauth/login/00000000000000000000000000000000",
            new FormUrlEncodedContent([new("username", userName), new("password", "guess-" + Guid.NewGuid())]));
}
