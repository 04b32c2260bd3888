using System.Globalization;
using System.Text;
using Aspire.Hosting.Testing;
using Npgsql;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Issue 25's targets (<c>bench/throughput 10 5 targets</c>): each scenario at 64 connections against
/// oidc-provider with PostgreSQL storage, alternating round by round; the API call's edge overhead at
/// 16 connections; ES256 on a second system. And the curves (<c>curves</c>): every scenario at 1 to
/// 256 connections for both servers, drawn as SVG charts.
/// </summary>
public static class Targets
{
    public static readonly string[] Scenarios = [Contest.ClientCredentials, Contest.CodeRedemption, Contest.Refresh, Contest.Introspection];
    private static readonly int[] CurveConnections = [1, 4, 16, 64, 256];

    /// <summary>oidc-provider storing in its own database on the system's PostgreSQL server.</summary>
    public static async Task<OidcProviderPeer> PeerAsync(SystemFixture system, string root) =>
        await OidcProviderPeer.StartAsync(root, await PeerDatabaseAsync(system, "oidc_provider_bench"));

    /// <summary>
    /// A database for a peer on the system's PostgreSQL server, created (if new) and used by the
    /// server's superuser: the services' roles may not create databases (NOCREATEDB), and a peer is no service of ours.
    /// </summary>
    public static async Task<string> PeerDatabaseAsync(SystemFixture system, string database)
    {
        var admin = new NpgsqlConnectionStringBuilder(await AdminConnectionStringAsync(system));
        await using (var db = NpgsqlDataSource.Create(admin.ConnectionString))
        await using (var create = db.CreateCommand($"CREATE DATABASE {database}"))
        {
            try
            {
                await create.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }

        admin.Database = database;
        return admin.ConnectionString;
    }

    /// <summary>The server's superuser on its maintenance database: for the bench's own reads of the server's counters.</summary>
    public static async Task<string> AdminConnectionStringAsync(SystemFixture system) =>
        new NpgsqlConnectionStringBuilder((await system.App.GetConnectionStringAsync("tokendb"))!)
        {
            Username = "postgres",
            Password = await system.ParameterAsync("postgres-password"),
            Database = "postgres",
        }.ConnectionString;

    public static async Task<string> RunTargetsAsync(string root, TimeSpan duration, int rounds)
    {
        var report = new StringBuilder();
        var results = new List<WrkResult>();
        var cpu = new List<(string Target, string Scenario, double Seconds, long Requests, Dictionary<string, double> Cpu)>();
        SystemFixture system = new UnlimitedSystem();
        Console.WriteLine("Starting the system...");
        await system.InitializeAsync();
        try
        {
            await using var field = await Field.StartAsync(system, root);
            var contenders = field.Contenders;
            var pids = await Comparison.ServicePidsAsync(system);
            pids["oidc-provider"] = field.Peer.Pid;

            Console.WriteLine("Warming up...");
            foreach (var scenario in Scenarios)
            {
                await field.WarmUpAsync(system, scenario);
            }

            foreach (var scenario in Scenarios)
            {
                for (var run = 1; run <= rounds; run++)
                {
                    foreach (var contender in run % 2 == 1 ? contenders : contenders.Reverse())
                    {
                        WrkResult? result = null;
                        var used = await CpuTime.DuringAsync(pids, async () => result = await Contest.RunAsync(system, contender, scenario, 64, duration, run));
                        results.Add(result!);
                        cpu.Add((contender.Name, scenario, result!.Seconds, result.Requests, used));
                        Console.WriteLine(Contest.Line(result));
                    }
                }
            }

            // The edge's overhead on an API call (cached decision), 16 connections: through the edge against straight to the API.
            var api = new TestApi(system);
            var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
            var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
            var tableApi = system.App.GetEndpoint("table-api", "http");
            var apiCalls = new[]
            {
                ("API call through the edge", Comparison.Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "Bearer " + token))),
                ("API call direct (no edge)", Comparison.Get(new Uri(tableApi, "/api/now/identity"), ("Authorization", "Bearer " + token))),
            };
            for (var run = 1; run <= rounds; run++)
            {
                foreach (var (name, request) in run % 2 == 1 ? apiCalls : apiCalls.Reverse())
                {
                    var result = await Wrk.RunAsync("ours", name, request, 16, duration, run);
                    results.Add(result);
                    Console.WriteLine(Contest.Line(result));
                }
            }

            // ES256 access tokens: a second system, against the same peer's RS256.
            await system.DisposeAsync();
            (system, var es256) = await Comparison.Es256SystemAsync();
            var ours256 = new Contender("ours ES256", true, new Dictionary<string, Prepare> { [Contest.ClientCredentials] = (_, _) => Task.FromResult(new Prepared(es256, null)) });
            await Contest.RunAsync(system, ours256, Contest.ClientCredentials, 64, TimeSpan.FromSeconds(15), 0);
            results.AddRange(await Contest.AlternateAsync(system, [ours256, contenders[1]], Contest.ClientCredentials, 64, duration, rounds));
        }
        finally
        {
            await system.DisposeAsync();
        }

        report.AppendLine(CultureInfo.InvariantCulture, $"# Issue 25 targets, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {await Comparison.CommitAsync(root)}");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"`bench/throughput {duration.TotalSeconds:F0} {rounds} targets` on {Environment.ProcessorCount} cores; oidc-provider stores in PostgreSQL (same server).");
        report.AppendLine();
        report.Append(TargetTable(results, rounds));
        report.AppendLine();
        report.Append(CpuTable(cpu));
        report.AppendLine();
        report.AppendLine("Every run:");
        report.AppendLine();
        report.AppendLine("```");
        results.ForEach(r => report.AppendLine(Contest.Line(r)));
        report.AppendLine("```");
        return Save(root, "targets", report.ToString());
    }

    /// <summary>Per scenario: each round's ratio, the median and spread, and each side's median p99.</summary>
    private static string TargetTable(List<WrkResult> results, int rounds)
    {
        var table = new StringBuilder("| scenario (64 connections) | ours / oidc-provider per round | median ratio (min–max) | ours median /s | oidc-provider median /s | ours p99 median | oidc-provider p99 median | non-2xx + socket errors |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (scenario, ours) in new[] { (Contest.ClientCredentials, "ours"), (Contest.CodeRedemption, "ours"), (Contest.Refresh, "ours"), (Contest.Introspection, "ours"),
            (Contest.ClientCredentials, "ours ES256") })
        {
            var mine = results.Where(r => r.Scenario == scenario && r.Target == ours && r.Run > 0).OrderBy(r => r.Run).ToList();
            var theirs = results.Where(r => r.Scenario == scenario && r.Target == "oidc-provider" && r.Run > 0).OrderBy(r => r.Run).ToList();
            var ratios = mine.Zip(theirs, (a, b) => a.PerSecond / b.PerSecond).ToList();
            if (ratios.Count == 0)
            {
                continue;
            }

            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {(ours == "ours" ? scenario : scenario + " ES256")} | {string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} | **{Contest.Median(ratios):F2}×** ({ratios.Min():F2}–{ratios.Max():F2}) | {Contest.Median(mine.Select(r => r.PerSecond)):F0} | {Contest.Median(theirs.Select(r => r.PerSecond)):F0} | {Contest.Median(mine.Select(r => r.P99Ms)):F1} ms | {Contest.Median(theirs.Select(r => r.P99Ms)):F1} ms | {mine.Sum(r => r.Non2xx + r.SocketErrors)} / {theirs.Sum(r => r.Non2xx + r.SocketErrors)} |");
        }

        var through = results.Where(r => r.Scenario == "API call through the edge").ToList();
        var direct = results.Where(r => r.Scenario == "API call direct (no edge)").ToList();
        if (through.Count > 0)
        {
            table.AppendLine();
            table.AppendLine(CultureInfo.InvariantCulture,
                $"API call, 16 connections: p50 through the edge {Contest.Median(through.Select(r => r.P50Ms)):F2} ms, direct {Contest.Median(direct.Select(r => r.P50Ms)):F2} ms: **overhead {Contest.Median(through.Select(r => r.P50Ms)) - Contest.Median(direct.Select(r => r.P50Ms)):F2} ms** (medians of {through.Count} rounds each; {Contest.Median(through.Select(r => r.PerSecond)):F0} and {Contest.Median(direct.Select(r => r.PerSecond)):F0} calls/s).");
        }

        return table.ToString();
    }

    /// <summary>CPU per request of every process, medians over the rounds: where each scenario's time goes.</summary>
    private static string CpuTable(List<(string Target, string Scenario, double Seconds, long Requests, Dictionary<string, double> Cpu)> cpu)
    {
        var processes = cpu.SelectMany(c => c.Cpu.Keys).Where(k => k != "wrk").Distinct().Order().ToArray();
        var table = new StringBuilder($"CPU µs per request (medians over the rounds; wrk not counted):\n\n| scenario | server | {string.Join(" | ", processes)} | **sum** |\n|---|---|{string.Concat(processes.Select(_ => "---:|"))}---:|\n");
        foreach (var group in cpu.GroupBy(c => (c.Scenario, c.Target)))
        {
            double PerRequest(string process) => Contest.Median(group.Select(c => c.Cpu.GetValueOrDefault(process) * 1e6 / Math.Max(1, c.Requests)));
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key.Scenario} | {group.Key.Target} | {string.Join(" | ", processes.Select(p => PerRequest(p).ToString("F0", CultureInfo.InvariantCulture)))} | **{processes.Sum(PerRequest):F0}** |");
        }

        return table.ToString();
    }

    /// <summary>Every scenario at 1 to 256 connections, once each for both servers, alternating; the charts of throughput and p99.</summary>
    public static async Task<string> RunCurvesAsync(string root, TimeSpan duration)
    {
        var results = new List<WrkResult>();
        var system = new UnlimitedSystem();
        Console.WriteLine("Starting the system...");
        await system.InitializeAsync();
        try
        {
            await using var field = await Field.StartAsync(system, root);
            foreach (var scenario in Scenarios)
            {
                await field.WarmUpAsync(system, scenario);
                foreach (var connections in CurveConnections)
                {
                    results.AddRange(await Contest.AlternateAsync(system, field.Contenders, scenario, connections, duration, 1));
                }
            }
        }
        finally
        {
            await system.DisposeAsync();
        }

        var charts = new StringBuilder();
        foreach (var scenario in Scenarios)
        {
            charts.Append(Draw(root, "connections", scenario, "connections", logX: true, value => [.. results.Where(r => r.Scenario == scenario).GroupBy(r => r.Target)
                .Select(g => new ChartSeries(g.Key, [.. g.Select(r => ((double)r.Connections, value(r)))]))]));
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"# Issue 25 curves, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {await Comparison.CommitAsync(root)}");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"`bench/throughput {duration.TotalSeconds:F0} 1 curves`: one run per point, ours and oidc-provider (PostgreSQL storage) alternating.");
        report.AppendLine();
        report.AppendLine("```");
        results.ForEach(r => report.AppendLine(Contest.Line(r)));
        report.AppendLine("```");
        report.AppendLine();
        report.Append(charts);
        return Save(root, "curves", report.ToString());
    }

    /// <summary>A scenario's throughput and p99 charts, written under bench/results/charts; their markdown links, relative to the report beside them in bench/results.</summary>
    /// <param name="series">The series of a measure (requests/s or p99 ms) taken from a run.</param>
    internal static string Draw(string root, string prefix, string scenario, string against, bool logX, Func<Func<WrkResult, double>, List<ChartSeries>> series)
    {
        var slug = scenario.Split(' ')[0] switch { "client" => "client-credentials", "authorization" => "code-redemption", "refresh" => "refresh", _ => "introspection" };
        var links = new StringBuilder();
        foreach (var (what, unit, value) in new (string, string, Func<WrkResult, double>)[] { ("throughput", "requests/s", r => r.PerSecond), ("p99", "p99 latency, ms", r => r.P99Ms) })
        {
            var file = $"{prefix}-{slug}-{what}.svg";
            Charts.Write(Path.Combine(root, "bench", "results", "charts", file), Charts.LineChart($"{scenario}: {unit} against {against}", against, unit, series(value), logX));
            links.AppendLine(CultureInfo.InvariantCulture, $"![{scenario}, {what} against {against}](charts/{file})");
        }

        return links.ToString();
    }

    internal static string Save(string root, string name, string report)
    {
        var file = Path.Combine(root, "bench", "results", $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmm}.md");
        File.WriteAllText(file, report);
        Console.WriteLine($"Written to {Path.GetRelativePath(root, file)}");
        return report;
    }
}
