using System.Diagnostics;
using System.Globalization;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Cost as the data grows (<c>bench/throughput 10 3 growth</c>): a fresh system empty, seeded at
/// 10 % and at 100 % of <see cref="DataSeed"/>; on each, every service restarted (its cold start with
/// that data), then every scenario against oidc-provider round by round (the peer's rate is the
/// yardstick for the host's drift between systems), client credentials spread over 10,000 seeded
/// clients, an API call through the edge, resident memory; and on the full seed, a purge of
/// 1,000,000 expired token records under load.
/// </summary>
public static class Growth
{
    /// <summary>Fractions of the seed; <c>BENCH_GROWTH_SIZES="0.01"</c> to try the harness quickly.</summary>
    private static readonly double[] Sizes = Environment.GetEnvironmentVariable("BENCH_GROWTH_SIZES") is { Length: > 0 } sizes
        ? [.. sizes.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))]
        : [0, 0.1, 1.0];
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    private sealed record Size(double Fraction, TimeSpan Seeding, TimeSpan ColdStart, Dictionary<string, long> Idle, Dictionary<string, long> Loaded, List<WrkResult> Results);

    public static async Task<string> RunAsync(string root, TimeSpan duration, int rounds)
    {
        var sizes = new List<Size>();
        var purge = "";
        foreach (var fraction in Sizes)
        {
            var system = new UnlimitedSystem();
            Console.WriteLine($"Starting the system ({fraction:P0} of the seed)...");
            await system.InitializeAsync();
            try
            {
                await PgWorkMeter.ApplySettingsAsync(system);
                var seeding = fraction > 0 ? await DataSeed.SeedAsync(system, fraction, Console.Out) : TimeSpan.Zero;
                var coldStart = await RestartServicesAsync(system);
                Console.WriteLine($"Every service restarted and healthy in {coldStart.TotalSeconds:F1} s");
                var api = new TestApi(system);
                await using var field = await Field.StartAsync(system, root);
                var contenders = field.Contenders;
                var pids = await Comparison.ServicePidsAsync(system);
                await Task.Delay(TimeSpan.FromSeconds(5));
                var idle = pids.ToDictionary(p => p.Key, p => Memory.ResidentBytes(p.Value));
                var results = new List<WrkResult>();
                var loaded = await Memory.PeakWhileAsync(pids, async () =>
                {
                    foreach (var scenario in Targets.Scenarios)
                    {
                        await field.WarmUpAsync(system, scenario);
                        results.AddRange(await Contest.AlternateAsync(system, contenders, scenario, 64, duration, rounds));
                    }

                    if (fraction > 0)
                    {
                        // Client credentials spread over 10,000 seeded clients (the client cache holds 10,000): every client looked up.
                        var many = ManyClients(system, Math.Min(10_000, DataSeed.For(fraction).Clients));
                        for (var run = 1; run <= rounds; run++)
                        {
                            WrkResult? result = null;
                            var used = await CpuTime.DuringAsync(pids, async () => result = await Wrk.RunAsync("ours", "client credentials, 10,000 clients", many, 64, duration, run));
                            await Comparison.OutboxDrainedAsync(system);
                            results.Add(result!);
                            Console.WriteLine(Contest.Line(result!));
                            Console.WriteLine("  CPU µs per token: " + string.Join(", ", used.Where(c => c.Key != "wrk" && c.Value >= 0.05)
                                .Select(c => $"{c.Key} {c.Value * 1e6 / Math.Max(1, result!.Requests):F0}")));
                        }
                    }

                    var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
                    var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
                    var call = Comparison.Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "Bearer " + token));
                    for (var run = 1; run <= rounds; run++)
                    {
                        var result = await Wrk.RunAsync("ours", "API call through the edge", call, 16, duration, run);
                        results.Add(result);
                        Console.WriteLine(Contest.Line(result));
                    }
                });
                sizes.Add(new Size(fraction, seeding, coldStart, idle, loaded, results));
                if (fraction == Sizes[^1])
                {
                    purge = await PurgeUnderLoadAsync(system, contenders[0]);
                }
            }
            finally
            {
                await system.DisposeAsync();
            }
        }

        return Targets.Save(root, "growth", Report(root, sizes, purge, duration, rounds));
    }

    /// <summary><c>bench/seed [fraction]</c>: a fresh system seeded, its services restarted on the data; the times, printed.</summary>
    public static async Task<string> SeedOnlyAsync(double fraction)
    {
        var system = new UnlimitedSystem();
        Console.WriteLine("Starting the system...");
        await system.InitializeAsync();
        try
        {
            var seeding = await DataSeed.SeedAsync(system, fraction, Console.Out);
            var coldStart = await RestartServicesAsync(system);
            return $"{DataSeed.For(fraction)}: seeded in {seeding.TotalSeconds:F0} s; every service restarted and healthy in {coldStart.TotalSeconds:F1} s";
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    /// <summary>
    /// Stops every service (PostgreSQL and RabbitMQ stay up), then starts them as the AppHost does, each
    /// once what it waits for is healthy, in waves; how long from the first start until all are healthy.
    /// </summary>
    private static async Task<TimeSpan> RestartServicesAsync(SystemFixture system)
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var services = system.Resources.OfType<ProjectResource>().ToList();
        Check(await Task.WhenAll(services.Select(s => commands.ExecuteCommandAsync(s.Name, KnownResourceCommands.StopCommand))));
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var started = new HashSet<string>();
        while (started.Count < services.Count)
        {
            var wave = services.Where(s => !started.Contains(s.Name) && s.Annotations.OfType<WaitAnnotation>()
                .All(w => w.Resource is not ProjectResource || started.Contains(w.Resource.Name))).ToList();
            if (wave.Count == 0)
            {
                throw new InvalidOperationException("The services wait for each other in a cycle.");
            }

            Check(await Task.WhenAll(wave.Select(s => commands.ExecuteCommandAsync(s.Name, KnownResourceCommands.StartCommand))));
            await Task.WhenAll(wave.Select(s => notifications.WaitForResourceHealthyAsync(s.Name, timeout.Token)));
            started.UnionWith(wave.Select(s => s.Name));
        }

        return clock.Elapsed;

        static void Check(ExecuteCommandResult[] results)
        {
            if (results.FirstOrDefault(r => !r.Success) is { } failed)
            {
                throw new InvalidOperationException($"A stop or start failed: {failed.Message}");
            }
        }
    }

    /// <summary>wrk's client credentials with each request another seeded client's Basic credentials, round-robin.</summary>
    private static WrkRequest ManyClients(SystemFixture system, int clients)
    {
        var headers = Enumerable.Range(0, clients)
            .Select(i => Wrk.Quote("Basic " + Protocol.Clients.ClientAuthentication.EncodeBasic(DataSeed.ClientIdOf(i), DataSeed.SecretOf(i))));
        var request = Comparison.Token(new Uri(system.EdgeUrl, "/oauth/token"), DataSeed.ClientIdOf(0), DataSeed.SecretOf(0), "grant_type=client_credentials");
        return request with
        {
            Script = $$"""
                local auths = { {{string.Join(",", headers)}} }
                {{UserGrants.ThreadIndex}}
                local n = nil
                function request()
                  n = (n or (index or 0) * 4999) + 1
                  return wrk.format(nil, nil, { ["Authorization"] = auths[(n % #auths) + 1], ["Content-Type"] = "application/x-www-form-urlencoded" },
                    "grant_type=client_credentials")
                end
                """,
        };
    }

    /// <summary>
    /// 1,000,000 expired token records (the seed's 500,000 and as many more) purged by the token
    /// service's own batched purge (<see cref="BatchedPurge"/>, run here so it starts on cue) while client
    /// credentials run at 64 connections: throughput in 5 s windows before, during and after.
    /// </summary>
    private static async Task<string> PurgeUnderLoadAsync(SystemFixture system, Contender ours)
    {
        await using var db = await system.DatabaseAsync("tokendb");
        await using (var more = db.CreateCommand("""
            INSERT INTO issued_token (jti, client_id, subject, scope, grant_type, issued_at, expires_at)
            SELECT 'purge-' || g, 'seed-client-000001', 'seed-client-000001', 'useraccount', 'client_credentials', now() - interval '3 days', now() - interval '2 days'
            FROM generate_series(1, 1000000 - (SELECT count(*) FROM issued_token WHERE expires_at < now() - interval '1 day')) g
            """))
        {
            more.CommandTimeout = 600;
            await more.ExecuteNonQueryAsync();
        }

        await using (var analyze = db.CreateCommand("ANALYZE issued_token"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var expired = await CountExpiredAsync(db);
        var request = (await ours.Scenarios[Contest.ClientCredentials](64, Window)).Request;
        var windows = new List<(string Phase, WrkResult Result)>();
        for (var i = 0; i < 3; i++)
        {
            windows.Add(("before", await WindowAsync(request, windows.Count)));
        }

        var clock = Stopwatch.StartNew();
        var purging = BatchedPurge.DeleteAsync(db, "issued_token", "expires_at < now() - interval '1 day'", CancellationToken.None);
        var purged = 0;
        TimeSpan took = default;
        while (!purging.IsCompleted || windows.Count(w => w.Phase == "after") < 3)
        {
            var result = await WindowAsync(request, windows.Count);
            if (purging.IsCompleted && took == default)
            {
                (purged, took) = (await purging, clock.Elapsed);
            }

            windows.Add((purging.IsCompleted && clock.Elapsed - took > Window ? "after" : "during", result));
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Purge of {expired:N0} expired token records ({purged:N0} deleted, batches of {BatchedPurge.BatchSize:N0}) under client credentials at 64 connections: **{took.TotalSeconds:F1} s**.");
        text.AppendLine();
        text.AppendLine("| window (5 s) | phase | tokens/s | p99 ms |\n|---:|---|---:|---:|");
        for (var i = 0; i < windows.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {i + 1} | {windows[i].Phase} | {windows[i].Result.PerSecond:F0} | {windows[i].Result.P99Ms:F1} |");
        }

        double Median(string phase) => Contest.Median(windows.Where(w => w.Phase == phase).Select(w => w.Result.PerSecond));
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Median tokens/s: before {Median("before"):F0}, during {Median("during"):F0} (**{Median("during") / Median("before"):P0}** of before), after {Median("after"):F0}.");
        Console.WriteLine(text);
        return text.ToString();
    }

    private static async Task<WrkResult> WindowAsync(WrkRequest request, int index)
    {
        var result = await Wrk.RunAsync("ours", "client credentials (purge)", request, 64, Window, index + 1);
        Console.WriteLine(Contest.Line(result));
        return result;
    }

    private static async Task<long> CountExpiredAsync(NpgsqlDataSource db)
    {
        await using var count = db.CreateCommand("SELECT count(*) FROM issued_token WHERE expires_at < now() - interval '1 day'");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static string Report(string root, List<Size> sizes, string purge, TimeSpan duration, int rounds)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Issue 25 cost as the data grows, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Comparison.CommitAsync(root).GetAwaiter().GetResult()}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`bench/throughput {duration.TotalSeconds:F0} {rounds} growth`: a fresh system per size, seeded by `bench/Throughput/DataSeed.cs` (100 % = 100,000 clients, 100,000 users, 1,000 API policies with 10,000 rules, 1,000,000 token records of which half expired, 100,000 live refresh families, 10,000 revocations).");
        if (Environment.GetEnvironmentVariable("BENCH_PG_SETTINGS") is { Length: > 0 } settings)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL settings tried in this run (`BENCH_PG_SETTINGS`): `{settings}`.");
        }

        text.AppendLine();
        text.AppendLine("| data | seeding | every service restarted, healthy after |\n|---|---:|---:|");
        foreach (var size in sizes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {size.Fraction:P0} | {size.Seeding.TotalSeconds:F0} s | {size.ColdStart.TotalSeconds:F1} s |");
        }

        text.AppendLine();
        text.AppendLine("Medians of the rounds at 64 connections (API call: 16), ours and oidc-provider alternating; the last columns against the empty system, ours' rate and p99, and ours' ratio to oidc-provider (which corrects for the host's drift between systems):");
        text.AppendLine();
        text.AppendLine("| scenario | data | ours /s | ours p99 ms | oidc-provider /s | ours / oidc-provider | /s vs empty | p99 vs empty | ratio vs empty |\n|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var charts = new StringBuilder();
        foreach (var scenario in Targets.Scenarios.Append("client credentials, 10,000 clients").Append("API call through the edge"))
        {
            (double Rate, double P99, double Peer, double Ratio)? empty = null;
            foreach (var size in sizes)
            {
                var ours = size.Results.Where(r => r.Scenario == scenario && r.Target == "ours" && r.Run > 0).OrderBy(r => r.Run).ToList();
                var theirs = size.Results.Where(r => r.Scenario == scenario && r.Target == "oidc-provider" && r.Run > 0).OrderBy(r => r.Run).ToList();
                if (ours.Count == 0)
                {
                    continue;
                }

                var now = (Rate: Contest.Median(ours.Select(r => r.PerSecond)), P99: Contest.Median(ours.Select(r => r.P99Ms)),
                    Peer: theirs.Count == 0 ? double.NaN : Contest.Median(theirs.Select(r => r.PerSecond)),
                    Ratio: theirs.Count == 0 ? double.NaN : Contest.Median(ours.Zip(theirs, (a, b) => a.PerSecond / b.PerSecond)));
                empty ??= now;
                string Versus(double value, double reference) => double.IsNaN(value) || double.IsNaN(reference) ? "–" : (value / reference).ToString("P0", CultureInfo.InvariantCulture);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {scenario} | {size.Fraction:P0} | {now.Rate:F0} | {now.P99:F1} | {(double.IsNaN(now.Peer) ? "–" : now.Peer.ToString("F0", CultureInfo.InvariantCulture))} | {(double.IsNaN(now.Ratio) ? "–" : now.Ratio.ToString("F2", CultureInfo.InvariantCulture))} | {Versus(now.Rate, empty.Value.Rate)} | {Versus(now.P99, empty.Value.P99)} | {Versus(now.Ratio, empty.Value.Ratio)} |");
            }
        }

        text.AppendLine();
        text.AppendLine("PostgreSQL's work per request of ours (medians of the rounds, from pg_stat_wal and pg_stat_database, the run and its audit relay until the outbox is empty): WAL bytes, full-page images (an index page written whole on its first change after a checkpoint), data blocks read from outside its buffer cache and found in it:");
        text.AppendLine();
        text.AppendLine("| scenario | data | WAL bytes | full-page images | blocks read | blocks hit |\n|---|---|---:|---:|---:|---:|");
        foreach (var scenario in Targets.Scenarios)
        {
            foreach (var size in sizes)
            {
                var measured = size.Results.Where(r => r.Scenario == scenario && r.Target == "ours" && r.Run > 0 && r.Postgres is not null).Select(r => r.Postgres!).ToList();
                if (measured.Count > 0)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {scenario} | {size.Fraction:P0} | {Contest.Median(measured.Select(m => m.WalBytes)):F0} | {Contest.Median(measured.Select(m => m.FullPageImages)):F2} | {Contest.Median(measured.Select(m => m.BlocksRead)):F2} | {Contest.Median(measured.Select(m => m.BlocksHit)):F0} |");
                }
            }
        }

        foreach (var scenario in Targets.Scenarios)
        {
            charts.Append(Targets.Draw(root, "data", scenario, "data size, % of the seed", logX: false, value => [.. new[] { "ours", "oidc-provider" }
                .Select(target => new ChartSeries(target, [.. sizes
                    .Select(s => (s.Fraction * 100, Contest.Median(s.Results.Where(r => r.Scenario == scenario && r.Target == target && r.Run > 0).Select(value))))
                    .Where(p => !double.IsNaN(p.Item2))]))]));
        }

        text.AppendLine();
        text.AppendLine("Resident memory, MB: idle after the restart, and the peak during the runs:");
        text.AppendLine();
        var processes = sizes.SelectMany(s => s.Idle.Keys).Distinct().ToArray();
        text.AppendLine($"| process | {string.Join(" | ", sizes.Select(s => $"idle {s.Fraction:P0} | load {s.Fraction:P0}"))} |");
        text.AppendLine($"|---|{string.Concat(sizes.Select(_ => "---:|---:|"))}");
        foreach (var process in processes)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {process} | {string.Join(" | ", sizes.Select(s => $"{s.Idle.GetValueOrDefault(process) / 1048576} | {s.Loaded.GetValueOrDefault(process) / 1048576}"))} |");
        }

        text.AppendLine();
        text.AppendLine(purge);
        text.AppendLine();
        text.Append(charts);
        text.AppendLine();
        text.AppendLine("Every run:");
        text.AppendLine();
        text.AppendLine("```");
        foreach (var size in sizes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"-- {size.Fraction:P0} of the seed");
            size.Results.ForEach(r => text.AppendLine(Contest.Line(r)));
        }

        text.AppendLine("```");
        return text.ToString();
    }
}
