using System.Diagnostics;
using System.Globalization;
using System.Net;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// DPoP (issue 19) against bearer in the same run, A B A B at 16 connections: client-credentials
/// issuance with a proof (one signature check and one replay record in PostgreSQL per token) and a
/// call through the edge with a bound token (a proof check, the replica's nonce and replay memory).
/// Every request carries a proof of its own, signed beforehand (wrk cannot sign): each run gets
/// more than it can spend, and a thread whose proofs are spent stops (the bench checks it never does).
/// </summary>
public static class DpopRuns
{
    public const int Connections = 16;

    public static async Task<List<WrkResult>> RunAsync(SystemFixture system, TestApi api, TimeSpan duration, int rounds,
        Func<SystemFixture, Task<TimeSpan>> drainOutbox)
    {
        var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
        var key = new DpopKey();
        var tokenUrl = system.Issuer + "/oauth/token";
        var apiUrl = system.Issuer + "/api/now/identity";
        var bearerToken = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var boundToken = await BoundTokenAsync(api, clientId, secret, key, tokenUrl);

        var bearerIssue = Comparison.Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials");
        var bearerCall = Comparison.Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "Bearer " + bearerToken));
        var boundCall = Comparison.Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "DPoP " + boundToken));
        string[] IssueProofs(int count) => Proofs(count, _ => key.Proof("POST", tokenUrl));
        async Task<string[]> CallProofsAsync(int count)
        {
            // The edge's current nonce (it rotates every few minutes; the previous one stays good).
            using var ask = key.Request(HttpMethod.Get, apiUrl, boundToken);
            var nonce = DpopKey.NonceOf(await api.Edge.SendAsync(ask)) ?? throw new InvalidOperationException("The edge offered no DPoP nonce.");
            return Proofs(count, _ => key.Proof("GET", apiUrl, boundToken, nonce));
        }

        Console.WriteLine("DPoP: warming up...");
        await Wrk.RunAsync("ours", "warm-up", bearerIssue, Connections, TimeSpan.FromSeconds(3), 0);
        double issueRate = (await RunWithProofsAsync(bearerIssue, IssueProofs(20_000), "warm-up", TimeSpan.FromSeconds(3), 0)).PerSecond;
        await drainOutbox(system);
        await Wrk.RunAsync("ours", "warm-up", bearerCall, Connections, TimeSpan.FromSeconds(3), 0);
        double callRate = (await RunWithProofsAsync(boundCall, await CallProofsAsync(20_000), "warm-up", TimeSpan.FromSeconds(3), 0)).PerSecond;

        var results = new List<WrkResult>();
        for (var run = 1; run <= rounds; run++)
        {
            // A B, then B A: drift falls on both alike.
            var order = run % 2 == 1 ? new[] { false, true } : [true, false];
            foreach (var dpop in order)
            {
                var result = dpop
                    ? await RunWithProofsAsync(bearerIssue, IssueProofs(Enough(issueRate, duration)), "client credentials, DPoP", duration, run)
                    : await Wrk.RunAsync("ours", "client credentials, bearer", bearerIssue, Connections, duration, run);
                issueRate = Math.Max(issueRate, result.PerSecond);
                results.Add(Report(result));
                await drainOutbox(system);
            }

            foreach (var dpop in order)
            {
                var result = dpop
                    ? await RunWithProofsAsync(boundCall, await CallProofsAsync(Enough(callRate, duration)), "API call, DPoP", duration, run)
                    : await Wrk.RunAsync("ours", "API call, bearer", bearerCall, Connections, duration, run);
                callRate = Math.Max(callRate, result.PerSecond);
                results.Add(Report(result));
            }
        }

        Summarise(results);
        return results;
    }

    private static async Task<string> BoundTokenAsync(TestApi api, string clientId, string secret, DpopKey key, string tokenUrl)
    {
        using var request = TestApi.FormRequest("/oauth/token", [new("grant_type", "client_credentials")], clientId, secret);
        request.Headers.Add("DPoP", key.Proof("POST", tokenUrl));
        using var response = await api.Edge.SendAsync(request);
        var body = await api.ReadAsync(response);
        return response.StatusCode == HttpStatusCode.OK
            ? body.GetProperty("access_token").GetString()!
            : throw new InvalidOperationException($"No DPoP-bound token: {body.GetRawText()}");
    }

    /// <summary>
    /// Three times what the fastest run so far would spend (and never fewer than 5,000 a second:
    /// warm-ups on a busy host understate), so a run never runs short.
    /// </summary>
    private static int Enough(double perSecond, TimeSpan duration) => (int)(Math.Max(perSecond, 5_000) * duration.TotalSeconds * 3);

    private static string[] Proofs(int count, Func<int, string> proof)
    {
        var clock = Stopwatch.StartNew();
        var proofs = new string[count];
        Parallel.For(0, count, i => proofs[i] = proof(i));
        Console.WriteLine($"  signed {count} proofs in {clock.Elapsed.TotalSeconds:F1} s");
        return proofs;
    }

    private static async Task<WrkResult> RunWithProofsAsync(WrkRequest request, string[] proofs, string scenario, TimeSpan duration, int run)
    {
        var file = Path.Combine(Path.GetTempPath(), $"oauthaspire-dpop-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, proofs);
        try
        {
            var result = await Wrk.RunAsync("ours", scenario, request with { Script = ProofScript(file, Wrk.Threads(Connections)) }, Connections, duration, run);
            return result.Requests >= proofs.Length - Connections
                ? throw new InvalidOperationException($"The run spent all {proofs.Length} proofs: sign more.")
                : result;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>wrk sending each proof once in a <c>DPoP</c> header, the proofs dealt round-robin to the threads.</summary>
    private static string ProofScript(string file, int threads) => $$"""
        local threads = {{threads.ToString(CultureInfo.InvariantCulture)}}
        {{UserGrants.ThreadIndex}}
        local proofs = {}
        local position = nil
        function init(args)
          local i = 0
          for line in io.lines({{Wrk.Quote(file)}}) do
            if i % threads == (index or 0) then
              proofs[#proofs + 1] = line
            end
            i = i + 1
          end
        end
        function request()
          position = (position or 0) + 1
          local proof = proofs[position]
          if proof == nil then
            wrk.thread:stop()
            proof = "spent"
          end
          wrk.headers["DPoP"] = proof
          return wrk.format()
        end
        """;

    private static WrkResult Report(WrkResult result)
    {
        Console.WriteLine($"{result.Scenario,-28} run {result.Run}: {result.PerSecond,8:F0}/s  p50 {result.P50Ms,6:F2} ms  p99 {result.P99Ms,6:F2} ms  " +
            $"non-2xx {result.Non2xx}  socket errors {result.SocketErrors}");
        return result;
    }

    private static void Summarise(List<WrkResult> results)
    {
        double Median(string scenario, Func<WrkResult, double> value)
        {
            var values = results.Where(r => r.Scenario == scenario).Select(value).Order().ToArray();
            return values.Length == 0 ? double.NaN : values[values.Length / 2];
        }

        var issuance = Median("client credentials, DPoP", r => r.PerSecond) / Median("client credentials, bearer", r => r.PerSecond);
        var overhead = Median("API call, DPoP", r => r.P50Ms) - Median("API call, bearer", r => r.P50Ms);
        Console.WriteLine($"DPoP issuance / bearer issuance (median tokens/s): {issuance:F3} (bound: >= 0.85)");
        Console.WriteLine($"DPoP API call p50 - bearer p50 (median of runs): {overhead:F3} ms (bound: < 0.3 ms)");
    }
}
