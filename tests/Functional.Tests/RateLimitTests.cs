using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using OAuthAspire.AuditTail;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Abusive callers are limited at the edge — per client and per address on the token endpoint, per
/// user on the login form, per client on the APIs — with 429, Retry-After and the RateLimit headers;
/// each limit counts only its own key. (The fixture sets token/client 1500, token/address 3000,
/// API/client 600 and login/user 10 per minute; each test calls from its own loopback address.)
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

        bool Audited(JsonElement e) => e.GetProperty("type").GetString() == "RateLimited" && e.GetProperty("key").GetString() == victim.ToLowerInvariant();
        await reader.ReadUntilAsync(entries => entries.Any(e => Audited(e.Event)), TimeSpan.FromSeconds(15));
        await reader.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(1));
        var audited = Assert.Single(reader.Events, Audited);
        Assert.Equal("LoginPerUser", audited.GetProperty("limit").GetString());
        Assert.Equal("127.0.0.4", audited.GetProperty("remoteAddress").GetString());
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
        // Unauthenticated requests: nothing but the address to count them by.
        var (allowed, refused) = await HammerAsync(4000, () => new HttpRequestMessage(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
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
