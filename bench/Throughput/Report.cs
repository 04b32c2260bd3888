using System.Globalization;
using System.Text;

namespace OAuthAspire.Bench.Throughput;

/// <summary>The results as markdown: machine, date, commit, the comparison as ratios, the other scenarios, memory.</summary>
public static class Report
{
    public static string Markdown(IReadOnlyList<WrkResult> results, IReadOnlyList<(int Connections, int Run, long Requests, TimeSpan Drained)> drains,
        IReadOnlyDictionary<string, long> idle, IReadOnlyDictionary<string, long> loaded, TimeSpan duration, int rounds, string commit, SigningFloor? floor,
        IReadOnlyList<(string Target, int Run, double Seconds, Dictionary<string, double> Cpu)> cpuRuns)
    {
        var md = new StringBuilder();
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        md.AppendLine(CultureInfo.InvariantCulture, $"### Throughput, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {commit}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores ({cpu}), wrk and every server on the same cores. " +
            $"`bench/throughput {(int)duration.TotalSeconds} {rounds}`: {(int)duration.TotalSeconds} s per run after a warm-up, targets alternated run by run.");
        md.AppendLine();
        md.AppendLine("Client credentials (RS256 JWT access tokens; ours through the edge, with the `TokenIssued` audit event committed before the answer):");
        md.AppendLine();
        md.AppendLine("| connections | run | ours tokens/s | oidc-provider tokens/s | ratio | ours p50 / p99 ms | oidc-provider p50 / p99 ms | non-2xx (ours / theirs) |");
        md.AppendLine("|---:|---:|---:|---:|---:|---|---|---|");
        foreach (var (key, ours, theirs) in Pairs(results.Where(r => r.Scenario == "client credentials"), r => (r.Connections, r.Run)))
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {key.Connections} | {key.Run} | {ours.PerSecond:F0} | {theirs.PerSecond:F0} | {Ratio(ours, theirs)} | {ours.P50Ms:F2} / {ours.P99Ms:F2} | {theirs.P50Ms:F2} / {theirs.P99Ms:F2} | {Errors(ours)} / {Errors(theirs)} |");
        }

        var openIddict = Pairs(results.Where(r => r.Scenario.StartsWith("client credentials vs ", StringComparison.Ordinal)), r => (r.Scenario, r.Run));
        if (openIddict.Length > 0)
        {
            md.AppendLine();
            md.AppendLine("Against OpenIddict 7.8 (RS256 2048-bit, access tokens not encrypted), 64 connections, alternating with ours:");
            md.AppendLine();
            md.AppendLine("| peer | run | ours tokens/s | peer tokens/s | ratio | peer p50 / p99 ms | non-2xx (ours / peer) |");
            md.AppendLine("|---|---:|---:|---:|---:|---|---|");
            foreach (var (key, ours, theirs) in openIddict)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {theirs.Target} | {key.Run} | {ours.PerSecond:F0} | {theirs.PerSecond:F0} | {Ratio(ours, theirs)} | {theirs.P50Ms:F2} / {theirs.P99Ms:F2} | {Errors(ours)} / {Errors(theirs)} |");
            }
        }

        var es = Pairs(results.Where(r => r.Scenario == "client credentials ES256"), r => r.Run);
        if (es.Length > 0)
        {
            md.AppendLine();
            md.AppendLine("Client credentials with ES256 access tokens on ours (oidc-provider still RS256), 64 connections:");
            md.AppendLine();
            md.AppendLine("| run | ours ES256 tokens/s | oidc-provider RS256 tokens/s | ratio | ours p50 / p99 ms | non-2xx |");
            md.AppendLine("|---:|---:|---:|---:|---|---|");
            foreach (var (run, ours, theirs) in es)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {run} | {ours.PerSecond:F0} | {theirs.PerSecond:F0} | {Ratio(ours, theirs)} | {ours.P50Ms:F2} / {ours.P99Ms:F2} | {Errors(ours)} / {Errors(theirs)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("Every token's `TokenIssued` event is committed before its answer; the relay then publishes them to RabbitMQ (confirmed, in order). " +
            "Time from the end of each of our runs until the token service's outbox was empty again:");
        md.AppendLine();
        md.AppendLine("| connections | run | tokens issued | outbox empty after |");
        md.AppendLine("|---:|---:|---:|---:|");
        foreach (var d in drains)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {d.Connections} | {d.Run} | {d.Requests} | {d.Drained.TotalSeconds:F1} s |");
        }

        md.AppendLine();
        md.AppendLine("Other scenarios on ours. Code redemption: each code minted beforehand through GET /oauth/authorize " +
            "(signed-in session, remembered consent), redeemed once with PKCE (S256) and client authentication; scope `openid useraccount`, " +
            "so each answer carries an access token, an id_token and a refresh token. Refresh: one family per connection, rotating " +
            "(each answer's new refresh token is the next request's), also answering all three:");
        md.AppendLine();
        md.AppendLine("| scenario | connections | run | requests/s | p50 ms | p99 ms | non-2xx |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Where(r => !r.Scenario.StartsWith("client credentials", StringComparison.Ordinal)).OrderBy(r => r.Scenario, StringComparer.Ordinal).ThenBy(r => r.Connections))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Scenario} | {r.Connections} | {r.Run} | {r.PerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {Errors(r)} |");
        }

        var through = results.Where(r => r.Scenario == "API call through the edge" && r.Connections == 16).ToArray();
        var direct = results.Where(r => r.Scenario == "API call direct (no edge)" && r.Connections == 16).ToArray();
        if (through.Length > 0 && direct.Length > 0)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Edge overhead on a protected API call (cached decision, 16 connections): p50 {through.Average(r => r.P50Ms) - direct.Average(r => r.P50Ms):F2} ms " +
                $"({through.Average(r => r.P50Ms):F2} through the edge vs {direct.Average(r => r.P50Ms):F2} direct).");
        }

        if (floor is not null)
        {
            AppendFloor(md, results, floor);
        }

        AppendCpu(md, cpuRuns);

        md.AppendLine();
        md.AppendLine("Resident memory (MB): idle, and the peak during the 64-connection client-credentials runs:");
        md.AppendLine();
        md.AppendLine("| process | idle | under load |");
        md.AppendLine("|---|---:|---:|");
        foreach (var (name, bytes) in idle)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {bytes / 1048576.0:F0} | {loaded.GetValueOrDefault(name) / 1048576.0:F0} |");
        }

        return md.ToString();
    }

    /// <summary>Runs of ours and a peer made side by side (A B), paired by <paramref name="key"/>.</summary>
    private static (TKey Key, WrkResult Ours, WrkResult Theirs)[] Pairs<TKey>(IEnumerable<WrkResult> runs, Func<WrkResult, TKey> key) =>
        runs.GroupBy(key).Select(g => (g.Key, g.Single(r => r.Target == "ours"), g.Single(r => r.Target != "ours"))).ToArray();

    private static string Ratio(WrkResult ours, WrkResult theirs) => string.Create(CultureInfo.InvariantCulture, $"**{ours.PerSecond / theirs.PerSecond:F2}×**");

    /// <summary>Non-2xx answers and socket errors: every one a failure.</summary>
    private static long Errors(WrkResult r) => r.Non2xx + r.SocketErrors;

    /// <summary>Where the two cores went during the 64-connection client-credentials runs (a process under 0.05 s left out).</summary>
    private static void AppendCpu(StringBuilder md, IReadOnlyList<(string Target, int Run, double Seconds, Dictionary<string, double> Cpu)> cpu)
    {
        if (cpu.Count == 0)
        {
            return;
        }

        var names = cpu.SelectMany(c => c.Cpu.Where(p => p.Value >= 0.05).Select(p => p.Key)).Distinct().ToArray();
        md.AppendLine();
        md.AppendLine("Where the CPU went during the 64-connection client-credentials runs, as a share of the two cores over the run " +
            "(from /proc; the relay's catching up after our runs is not in it):");
        md.AppendLine();
        md.AppendLine("| run | " + string.Join(" | ", names) + " | total |");
        md.AppendLine("|---|" + string.Concat(names.Select(_ => "---:|")) + "---:|");
        foreach (var (target, run, seconds, used) in cpu)
        {
            var capacity = seconds * Environment.ProcessorCount;
            var shares = names.Select(n => used.TryGetValue(n, out var s) && s >= 0.05 ? string.Create(CultureInfo.InvariantCulture, $"{s / capacity * 100:F0}%") : "–");
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {target} {run} | {string.Join(" | ", shares)} | {used.Values.Sum() / capacity * 100:F0}% |"));
        }
    }

    /// <summary>Each token scenario against what signing alone would allow on this machine (two threads).</summary>
    private static void AppendFloor(StringBuilder md, IReadOnlyList<WrkResult> results, SigningFloor floor)
    {
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Against the signing floor (`{SigningFloor.ReportPath}`: two threads sign {floor.Rs256PerSecond:F0} RS256 or {floor.Es256PerSecond:F0} ES256 JWTs/s; ") +
            "a scenario signing two JWTs per answer has half that floor):");
        md.AppendLine();
        md.AppendLine("| scenario | connections (its fastest) | mean requests/s | JWTs signed per answer | floor requests/s | share of floor |");
        md.AppendLine("|---|---:|---:|---|---:|---:|");
        var scenarios = new (string Scenario, string Signed, double Floor)[]
        {
            ("client credentials", "1 RS256", floor.Rs256PerSecond),
            ("client credentials ES256", "1 ES256", floor.Es256PerSecond),
            ("authorization code redemption", "2 RS256 (access token, id_token)", floor.Rs256PerSecond / 2),
            ("refresh (rotating)", "2 RS256 (access token, id_token)", floor.Rs256PerSecond / 2),
        };
        foreach (var (scenario, signed, limit) in scenarios)
        {
            // At the number of connections where it went fastest.
            var best = results.Where(r => r.Target == "ours" && r.Scenario == scenario)
                .GroupBy(r => r.Connections)
                .Select(g => (Connections: g.Key, Mean: g.Average(r => r.PerSecond)))
                .OrderByDescending(g => g.Mean)
                .FirstOrDefault();
            if (best.Connections > 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {scenario} | {best.Connections} | {best.Mean:F0} | {signed} | {limit:F0} | **{best.Mean / limit * 100:F0}%** |");
            }
        }
    }
}
