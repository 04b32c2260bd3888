using System.Diagnostics;
using System.Net;
using OAuthAspire.Testing;

// What the API-policy decision adds per request at the edge, measured through the real system:
// the same table API behind no policy (open), behind a policy whose set the edge holds (cached),
// and on the first call after a policy change dropped that set (uncached: one gRPC reload).
var rounds = args.Length > 0 ? int.Parse(args[0]) : 2000;
var reloads = args.Length > 1 ? int.Parse(args[1]) : 60;

var system = new UnlimitedSystem();
Console.WriteLine("Starting the system...");
await system.InitializeAsync();
try
{
    var api = new TestApi(system);
    var table = $"bench_{Guid.NewGuid():N}"[..20];
    var policied = $"/api/now/table/{table}";
    var open = $"/api/now/table/{table}_open";
    string[] scopes = [$"{table}.read", $"{table}.other"];
    foreach (var scope in scopes)
    {
        Check(await api.SendAsync(HttpMethod.Post, "/api/admin/scopes", new { name = scope, description = scope }), HttpStatusCode.Created);
    }

    object Policy(string scope) => new { name = table, basePath = policied, acceptDefaultAudience = true, rules = new[] { new { methods = new[] { "GET" }, resource = policied, scopes = new[] { scope } } } };
    Check(await api.SendAsync(HttpMethod.Post, "/api/admin/api-policies", Policy(scopes[0])), HttpStatusCode.Created);
    var (clientId, secret) = await api.CreateClientAsync([scopes[0]]);
    var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
    await TestApi.EventuallyAsync(async () => (await api.SendAsync(HttpMethod.Get, policied, token: token)).StatusCode == HttpStatusCode.OK,
        TimeSpan.FromSeconds(10), "policy in force");

    async Task<(double Ms, HttpStatusCode Status)> TimeAsync(string path)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
        await response.Content.ReadAsByteArrayAsync();
        return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, response.StatusCode);
    }

    for (var i = 0; i < 300; i++)
    {
        await TimeAsync(open);
        await TimeAsync(policied);
    }

    // Interleaved, so machine noise falls on both alike.
    var openTimes = new List<double>();
    var cachedTimes = new List<double>();
    for (var i = 0; i < rounds; i++)
    {
        openTimes.Add((await TimeAsync(open)).Ms);
        cachedTimes.Add((await TimeAsync(policied)).Ms);
    }

    // Each edit flips the answer (the token has the read scope, not the other); the first call that
    // shows the flip is the one that reloaded the dropped set.
    var uncachedTimes = new List<double>();
    var expected = HttpStatusCode.OK;
    for (var i = 0; i < reloads; i++)
    {
        expected = expected == HttpStatusCode.OK ? HttpStatusCode.Forbidden : HttpStatusCode.OK;
        Check(await api.SendAsync(HttpMethod.Put, $"/api/admin/api-policies/{table}", Policy(expected == HttpStatusCode.OK ? scopes[0] : scopes[1])),
            HttpStatusCode.OK);
        while (true)
        {
            var (ms, status) = await TimeAsync(policied);
            if (status == expected)
            {
                uncachedTimes.Add(ms);
                break;
            }
        }

        cachedTimes.Add((await TimeAsync(policied)).Ms);
    }

    // A trusted provider's tokens: the first use of each costs federation-trust's validation and
    // user mapping; later uses of the same token are remembered at the edge.
    await using var provider = await TestKeyServer.StartAsync();
    var trustClient = $"app-{table}";
    Check(await api.SendAsync(HttpMethod.Post, "/api/admin/trusts", new { name = $"idp-{table}", issuer = provider.Issuer, clientIds = new[] { trustClient } }),
        HttpStatusCode.Created);
    var userName = $"fed-{table}";
    await api.CreateUserAsync(userName, ["itil"]);
    var identity = "/api/now/identity";
    async Task<double> TimeFederatedAsync(string external)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await api.SendAsync(HttpMethod.Get, identity, token: external);
        await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"federated call: {response.StatusCode}");
        }

        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    var remembered = provider.Sign(provider.IdTokenClaims(userName, trustClient));
    var ownTimes = new List<double>();
    var firstUseTimes = new List<double>();
    var rememberedTimes = new List<double>();
    await TimeFederatedAsync(remembered);
    for (var i = 0; i < reloads * 5; i++)
    {
        firstUseTimes.Add(await TimeFederatedAsync(provider.Sign(provider.IdTokenClaims(userName, trustClient))));
        rememberedTimes.Add(await TimeFederatedAsync(remembered));
        var ownStart = Stopwatch.GetTimestamp();
        using var own = await api.SendAsync(HttpMethod.Get, identity, token: token);
        await own.Content.ReadAsByteArrayAsync();
        ownTimes.Add(Stopwatch.GetElapsedTime(ownStart).TotalMilliseconds);
    }

    Console.WriteLine($"GET through the edge to the table API, {rounds} interleaved rounds, {reloads} reloads ({Environment.ProcessorCount} cores)");
    Report("open API (no policy)", openTimes);
    Report("policied, set cached", cachedTimes);
    Report("policied, set reloaded", uncachedTimes);
    Console.WriteLine($"decision cost, cached:   median {Median(cachedTimes) - Median(openTimes):F3} ms over open");
    Console.WriteLine($"decision cost, uncached: median {Median(uncachedTimes) - Median(openTimes):F3} ms over open");
    Console.WriteLine("GET /api/now/identity:");
    Report("our token", ownTimes);
    Report("provider token, remembered", rememberedTimes);
    Report("provider token, first use", firstUseTimes);
}
finally
{
    await system.DisposeAsync();
}

static void Check(HttpResponseMessage response, HttpStatusCode expected)
{
    if (response.StatusCode != expected)
    {
        throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {response.StatusCode}");
    }
}

static double Median(List<double> values) => Percentile(values, 0.5);

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
}

static void Report(string what, List<double> times) =>
    Console.WriteLine($"{what,-24} n={times.Count,5}  p50 {Percentile(times, 0.5):F3} ms  p90 {Percentile(times, 0.9):F3} ms  p99 {Percentile(times, 0.99):F3} ms");

