using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Starts the system (as the functional tests do, rate limits raised) and the peers, runs wrk
/// against each, alternating targets round by round (A B A B) so drift shows, and writes the table.
/// </summary>
public static class Comparison
{
    private static readonly int[] Connections = [1, 16, 64];
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    /// <param name="part">"all"; or, to try a change quickly, printed and not written: "grants" (code redemption and
    /// refresh only), "cc" (client credentials at 64 connections against oidc-provider only) or "dpop"
    /// (DPoP against bearer: issuance and an API call, 16 connections).</param>
    public static async Task<string> RunAsync(TimeSpan duration, int rounds, string part = "all")
    {
        var userGrantsOnly = part == "grants";
        var clientCredentialsOnly = part == "cc";
        var dpopOnly = part == "dpop";
        var root = Root();
        SystemFixture system = new UnlimitedSystem();
        Console.WriteLine("Starting the system...");
        await system.InitializeAsync();
        try
        {
            var api = new TestApi(system);
            if (dpopOnly)
            {
                return string.Join('\n', (await DpopRuns.RunAsync(system, api, duration, rounds, OutboxDrainedAsync)).Select(Line));
            }

            if (userGrantsOnly)
            {
                using var only = await UserGrants.StartAsync(system, api);
                return string.Join('\n', (await UserGrantRunsAsync(system, only, duration, rounds)).Select(Line));
            }

            var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
            var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
            await using var peer = await OidcProviderPeer.StartAsync(root);
            var tableApi = system.App.GetEndpoint("table-api", "http");

            var ours = Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials");
            var theirs = Token(new Uri(peer.Url, "/token"), OidcProviderPeer.ClientId, OidcProviderPeer.ClientSecret, "grant_type=client_credentials");
            var scenarios = new (string Name, WrkRequest Request)[]
            {
                ("introspection", Token(new Uri(system.EdgeUrl, "/oauth/introspect"), clientId, secret, "token=" + token)),
                ("API call through the edge", Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "Bearer " + token))),
                ("API call direct (no edge)", Get(new Uri(tableApi, "/api/now/identity"), ("Authorization", "Bearer " + token))),
            };

            await using var lag = await AuditLag.StartAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
            var pids = await ServicePidsAsync(system);
            var idle = pids.ToDictionary(p => p.Key, p => Memory.ResidentBytes(p.Value));
            pids["oidc-provider"] = peer.Pid;
            idle["oidc-provider"] = Memory.ResidentBytes(peer.Pid);

            Console.WriteLine("Warming up...");
            await Wrk.RunAsync("ours", "warm-up", ours, 16, WarmUp, 0);
            await Wrk.RunAsync("oidc-provider", "warm-up", theirs, 16, WarmUp, 0);
            foreach (var (_, request) in scenarios)
            {
                await Wrk.RunAsync("ours", "warm-up", request, 16, TimeSpan.FromSeconds(2), 0);
            }

            var results = new List<WrkResult>();
            var drains = new List<(int Connections, int Run, long Requests, TimeSpan Drained)>();
            Dictionary<string, long> loaded = [];
            var cpuSeconds = new List<(string Target, int Run, double Seconds, Dictionary<string, double> Cpu)>();
            foreach (var connections in clientCredentialsOnly ? Connections[^1..] : Connections)
            {
                for (var run = 1; run <= rounds; run++)
                {
                    foreach (var (target, request) in new[] { ("ours", ours), ("oidc-provider", theirs) })
                    {
                        WrkResult? result = null;
                        Dictionary<string, double> cpu = [];
                        lag.Begin();
                        var peaks = await Memory.PeakWhileAsync(pids, async () =>
                            cpu = await CpuTime.DuringAsync(pids, async () => result = await Wrk.RunAsync(target, "client credentials", request, connections, duration, run)));
                        results.Add(result!);
                        Console.WriteLine(Line(result!));
                        if (connections == Connections[^1])
                        {
                            cpuSeconds.Add((target, run, result!.Seconds, cpu));
                            Console.WriteLine("  CPU s: " + string.Join(", ", cpu.Where(c => c.Value >= 0.05).Select(c => $"{c.Key} {c.Value:F1}")));
                        }

                        if (target == "ours")
                        {
                            // The next run must not pay for this one's audit relay catching up.
                            var drained = await OutboxDrainedAsync(system);
                            drains.Add((connections, run, result!.Requests, drained));
                            Console.WriteLine($"  audit outbox drained {drained.TotalSeconds:F1} s after the run");
                            // The last events are on the stream once the outbox is empty; a moment for the reader to get them.
                            await Task.Delay(500);
                            var (events, p50, p99, max) = lag.End();
                            Console.WriteLine($"  audit event lag, written to read from the stream: p50 {p50:F0} ms, p99 {p99:F0} ms, max {max:F0} ms over {events} TokenIssued events");
                        }
                        if (connections == Connections[^1])
                        {
                            foreach (var (name, bytes) in peaks)
                            {
                                loaded[name] = Math.Max(loaded.GetValueOrDefault(name), bytes);
                            }
                        }
                    }
                }
            }

            if (clientCredentialsOnly)
            {
                return string.Join('\n', results.Select(Line));
            }

            // OpenIddict, with its default PostgreSQL token storage and with storage off, at 64 connections.
            var postgres = await Targets.PeerDatabaseAsync(system, "openiddict_bench");
            foreach (var storage in new[] { true, false })
            {
                await using var openIddict = await OpenIddictPeer.StartAsync(root, postgres, storage);
                var name = storage ? "openiddict (PostgreSQL storage)" : "openiddict (storage off)";
                var request = Token(new Uri(openIddict.Url, "/connect/token"), OidcProviderPeer.ClientId, OidcProviderPeer.ClientSecret, "grant_type=client_credentials");
                await Wrk.RunAsync(name, "warm-up", request, 16, WarmUp, 0);
                for (var run = 1; run <= rounds; run++)
                {
                    foreach (var (target, r) in new[] { ("ours", ours), (name, request) })
                    {
                        var result = await Wrk.RunAsync(target, $"client credentials vs {name}", r, Connections[^1], duration, run);
                        results.Add(result);
                        Console.WriteLine(Line(result));
                        if (target == "ours")
                        {
                            await OutboxDrainedAsync(system);
                        }
                    }
                }
            }

            foreach (var connections in Connections)
            {
                foreach (var (name, request) in scenarios)
                {
                    for (var run = 1; run <= rounds; run++)
                    {
                        var result = await Wrk.RunAsync("ours", name, request, connections, duration, run);
                        results.Add(result);
                        Console.WriteLine(Line(result));
                    }
                }
            }

            // A user's grants, through the edge: codes redeemed (minted beforehand) and refresh with rotation.
            using (var grants = await UserGrants.StartAsync(system, api))
            {
                results.AddRange(await UserGrantRunsAsync(system, grants, duration, rounds));
            }

            // ES256 access tokens (a per-server option): a second system, against the same peer.
            await system.DisposeAsync();
            (system, var es256) = await Es256SystemAsync();
            // A fresh system: warm it as long as the first one was warmed by all the runs before.
            await Wrk.RunAsync("ours", "warm-up", es256, 64, WarmUp * 3, 0);
            for (var run = 1; run <= rounds; run++)
            {
                foreach (var (target, request) in new[] { ("ours", es256), ("oidc-provider", theirs) })
                {
                    var result = await Wrk.RunAsync(target, "client credentials ES256", request, Connections[^1], duration, run);
                    results.Add(result);
                    Console.WriteLine(Line(result));
                    if (target == "ours")
                    {
                        await OutboxDrainedAsync(system);
                    }
                }
            }

            var report = Report.Markdown(results, drains, idle, loaded, duration, rounds, await CommitAsync(root), SigningFloor.Read(root), cpuSeconds);
            var directory = Path.Combine(root, "bench", "results");
            Directory.CreateDirectory(directory);
            var file = Path.Combine(directory, $"throughput-{DateTime.UtcNow:yyyyMMdd-HHmm}.md");
            await File.WriteAllTextAsync(file, report);
            Console.WriteLine($"Written to {Path.GetRelativePath(root, file)}");
            return report;
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    private static async Task<List<WrkResult>> UserGrantRunsAsync(SystemFixture system, UserGrants grants, TimeSpan duration, int rounds)
    {
        // The client's Basic authentication; the body is each request's own (the scripts write it).
        var tokenEndpoint = Token(grants.TokenUrl, grants.ClientId, grants.Secret, null);
        WrkRequest Redeeming(string[] codes, int connections) =>
            tokenEndpoint with { Script = UserGrants.CodeScript(codes, Wrk.Threads(connections), grants.CodeRedemptionPrefix) };

        // Calibrate: how fast codes are minted and redeemed, so each run gets enough codes for its
        // whole duration (wrk measures the full duration, so a run must never run out) while the
        // first of them is still far from its 60 s lifetime when the run ends.
        var clock = Stopwatch.StartNew();
        var warmCodes = await grants.CodesAsync(3000);
        var mintRate = warmCodes.Length / clock.Elapsed.TotalSeconds;
        await Wrk.RunAsync("ours", "warm-up", Redeeming(warmCodes[..1000], 16), 16, WarmUp, 0);
        var warm = await Wrk.RunAsync("ours", "warm-up", Redeeming(warmCodes[1000..], 16), 16, TimeSpan.FromSeconds(3), 0);
        Console.WriteLine($"Codes mint at {mintRate:F0}/s and redeem at {warm.PerSecond:F0}/s{(warm.Requests >= warmCodes.Length - 16 ? " (or faster: the warm-up ran out)" : "")}");
        await OutboxDrainedAsync(system);

        var results = new List<WrkResult>();
        foreach (var connections in Connections)
        {
            for (var run = 1; run <= rounds; run++)
            {
                // A run that spends all its codes is measured again, shorter: wrk would count its idle rest.
                for (var length = duration; ; length /= 2)
                {
                    var count = (int)Math.Min(warm.PerSecond * length.TotalSeconds * 2, mintRate * Math.Max(5, 50 - length.TotalSeconds));
                    var codes = await grants.CodesAsync(count);
                    var result = await Wrk.RunAsync("ours", "authorization code redemption", Redeeming(codes, connections), connections, length, run);
                    await OutboxDrainedAsync(system);
                    if (result.Requests < codes.Length - connections)
                    {
                        results.Add(result);
                        Console.WriteLine(Line(result) + $" ({result.Requests} of {codes.Length} codes used)");
                        break;
                    }

                    if (length < TimeSpan.FromSeconds(4))
                    {
                        throw new InvalidOperationException($"Runs keep spending all their codes ({codes.Length}): codes cannot be minted fast enough.");
                    }

                    Console.WriteLine($"  the run spent all {codes.Length} codes: again, shorter");
                }
            }
        }

        foreach (var connections in Connections)
        {
            for (var run = connections == Connections[0] ? 0 : 1; run <= rounds; run++)
            {
                var families = await grants.RefreshTokensAsync(connections);
                var request = tokenEndpoint with { Script = UserGrants.RefreshScript(families), ThreadPerConnection = true };
                var result = await Wrk.RunAsync("ours", run == 0 ? "warm-up" : "refresh (rotating)", request, connections, run == 0 ? WarmUp : duration, run);
                if (run > 0)
                {
                    results.Add(result);
                    Console.WriteLine(Line(result));
                }

                await OutboxDrainedAsync(system);
            }
        }

        return results;
    }

    /// <summary>A second system signing ES256 access tokens (a per-server option), and its client-credentials request.</summary>
    internal static async Task<(SystemFixture System, WrkRequest ClientCredentials)> Es256SystemAsync()
    {
        var system = new UnlimitedSystem("ES256");
        Console.WriteLine("Starting the system with ES256 access tokens...");
        await system.InitializeAsync();
        var (clientId, secret) = await new TestApi(system).CreateClientAsync(["useraccount"]);
        return (system, Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials"));
    }

    /// <summary>Waits until every token service audit event is confirmed by RabbitMQ; how long that took.</summary>
    internal static async Task<TimeSpan> OutboxDrainedAsync(SystemFixture system)
    {
        var clock = Stopwatch.StartNew();
        await using var db = await system.DatabaseAsync("tokendb");
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
            if ((long)(await command.ExecuteScalarAsync())! == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    private static string Line(WrkResult r) =>
        $"{r.Target,-14} {r.Scenario,-26} c={r.Connections,-3} run {r.Run}: {r.PerSecond,8:F0}/s  p50 {r.P50Ms,7:F2} ms  p99 {r.P99Ms,7:F2} ms  non-2xx {r.Non2xx}  socket errors {r.SocketErrors}";

    internal static WrkRequest Token(Uri url, string clientId, string secret, string? body) => new("POST", url, new Dictionary<string, string>
    {
        ["Authorization"] = new AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, secret)).ToString(),
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body);

    internal static WrkRequest Get(Uri url, params (string Name, string Value)[] headers) =>
        new("GET", url, headers.ToDictionary(h => h.Name, h => h.Value));

    /// <summary>The service processes (not their `dotnet run` wrappers), by resource name.</summary>
    internal static async Task<Dictionary<string, int>> ServicePidsAsync(SystemFixture system)
    {
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var pids = new Dictionary<string, int>();
        foreach (var name in new[] { "edge", "token", "authorize", "client-registry", "scope-policy", "federation-trust", "directory", "table-api" })
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var state = await notifications.WaitForResourceAsync(name, e => e.Snapshot.Properties.Any(p => p.Name == "executable.pid"), wait.Token);
            var pid = int.Parse(state.Snapshot.Properties.First(p => p.Name == "executable.pid").Value!.ToString()!, CultureInfo.InvariantCulture);
            // A project runs as `dotnet run` with the service as its child: measure the child.
            var child = Processes.ChildrenOf(pid).FirstOrDefault();
            pids[name] = child == 0 ? pid : child;
        }

        return pids;
    }

    internal static async Task<string> CommitAsync(string root)
    {
        var start = new ProcessStartInfo("git", "rev-parse --short HEAD") { WorkingDirectory = root, RedirectStandardOutput = true };
        using var git = Process.Start(start)!;
        var commit = (await git.StandardOutput.ReadToEndAsync()).Trim();
        await git.WaitForExitAsync();
        return commit;
    }

    internal static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OAuthAspire.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (OAuthAspire.sln) was not found.");
    }
}
