using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.Functional.Tests;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Starts the system (as the functional tests do, rate limits raised) and the peers, runs wrk
/// against each, alternating targets round by round (A B A B) so drift shows, and writes the table.
/// </summary>
public static class Comparison
{
    private static readonly int[] Connections = [1, 16, 64];
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task<string> RunAsync(TimeSpan duration, int rounds)
    {
        var root = Root();
        SystemFixture system = new UnlimitedSystem();
        Console.WriteLine("Starting the system...");
        await system.InitializeAsync();
        try
        {
            var api = new TestApi(system);
            var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
            var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
            await using var peer = await OidcProviderPeer.StartAsync(root);
            var tableApi = system.App.GetEndpoint("table-api", "http");
            var internalKey = await system.ParameterAsync("internal-key");

            var ours = Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials");
            var theirs = Token(new Uri(peer.Url, "/token"), OidcProviderPeer.ClientId, OidcProviderPeer.ClientSecret, "grant_type=client_credentials");
            var scenarios = new (string Name, WrkRequest Request)[]
            {
                ("introspection", Token(new Uri(system.EdgeUrl, "/oauth/introspect"), clientId, secret, "token=" + token)),
                ("API call through the edge", Get(new Uri(system.EdgeUrl, "/api/now/identity"), ("Authorization", "Bearer " + token))),
                ("API call direct (no edge)", Get(new Uri(tableApi, "/api/now/identity"), ("Authorization", "Bearer " + token), (InternalKey.EdgeHeader, internalKey))),
            };

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
            foreach (var connections in Connections)
            {
                for (var run = 1; run <= rounds; run++)
                {
                    foreach (var (target, request) in new[] { ("ours", ours), ("oidc-provider", theirs) })
                    {
                        WrkResult? result = null;
                        var peaks = await Memory.PeakWhileAsync(pids, async () => result = await Wrk.RunAsync(target, "client credentials", request, connections, duration, run));
                        results.Add(result!);
                        Console.WriteLine(Line(result!));
                        if (target == "ours")
                        {
                            // The next run must not pay for this one's audit relay catching up.
                            var drained = await OutboxDrainedAsync(system);
                            drains.Add((connections, run, result!.Requests, drained));
                            Console.WriteLine($"  audit outbox drained {drained.TotalSeconds:F1} s after the run");
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

            // OpenIddict, with its default PostgreSQL token storage and with storage off, at 64 connections.
            var postgres = (await system.App.GetConnectionStringAsync("tokendb"))!.Replace("Database=token", "Database=openiddict_bench", StringComparison.Ordinal);
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

            foreach (var (name, request) in scenarios)
            {
                for (var run = 1; run <= rounds; run++)
                {
                    var result = await Wrk.RunAsync("ours", name, request, 16, duration, run);
                    results.Add(result);
                    Console.WriteLine(Line(result));
                }
            }

            // ES256 access tokens (a per-server option): a second system, against the same peer.
            await system.DisposeAsync();
            system = new UnlimitedSystem("ES256");
            Console.WriteLine("Starting the system with ES256 access tokens...");
            await system.InitializeAsync();
            api = new TestApi(system);
            (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
            var es256 = Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials");
            await Wrk.RunAsync("ours", "warm-up", es256, 16, WarmUp, 0);
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

            var report = Report.Markdown(results, drains, idle, loaded, duration, rounds, await CommitAsync(root));
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

    /// <summary>Waits until every token service audit event is confirmed by RabbitMQ; how long that took.</summary>
    private static async Task<TimeSpan> OutboxDrainedAsync(SystemFixture system)
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

    private static WrkRequest Token(Uri url, string clientId, string secret, string body) => new("POST", url, new Dictionary<string, string>
    {
        ["Authorization"] = new AuthenticationHeaderValue("Basic", Protocol.Clients.ClientAuthentication.EncodeBasic(clientId, secret)).ToString(),
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body);

    private static WrkRequest Get(Uri url, params (string Name, string Value)[] headers) =>
        new("GET", url, headers.ToDictionary(h => h.Name, h => h.Value));

    /// <summary>The service processes (not their `dotnet run` wrappers), by resource name.</summary>
    private static async Task<Dictionary<string, int>> ServicePidsAsync(SystemFixture system)
    {
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var pids = new Dictionary<string, int>();
        foreach (var name in new[] { "edge", "token", "authorize", "client-registry", "scope-policy", "federation-trust", "table-api" })
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

    private static async Task<string> CommitAsync(string root)
    {
        var start = new ProcessStartInfo("git", "rev-parse --short HEAD") { WorkingDirectory = root, RedirectStandardOutput = true };
        using var git = Process.Start(start)!;
        var commit = (await git.StandardOutput.ReadToEndAsync()).Trim();
        await git.WaitForExitAsync();
        return commit;
    }

    private static string Root()
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
