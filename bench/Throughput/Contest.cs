using System.Diagnostics;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>What one run of a scenario sends, and how many one-shot items (codes) it was given; null when unlimited.</summary>
public sealed record Prepared(WrkRequest Request, int? Budget);

/// <summary>Prepares a run of a scenario for a number of connections and a run length.</summary>
public delegate Task<Prepared> Prepare(int connections, TimeSpan length);

/// <summary>One server in a comparison: its name and how it prepares each scenario it takes part in.</summary>
public sealed record Contender(string Name, bool Ours, IReadOnlyDictionary<string, Prepare> Scenarios)
{
    /// <summary>Its code supply, told each redemption run's rate.</summary>
    public CodeSupply? Codes { get; init; }
}

/// <summary>
/// Issue 25's comparisons: every scenario against oidc-provider (PostgreSQL storage) run by run,
/// alternating (A B A B), codes minted just in time for both servers (they live 60 s on both).
/// </summary>
public static class Contest
{
    public const string ClientCredentials = "client credentials";
    public const string CodeRedemption = "authorization code redemption";
    public const string Refresh = "refresh (rotating)";
    public const string Introspection = "introspection";

    /// <summary>Our scenarios on a running system (through the edge, every hop, audit events committed first).</summary>
    public static async Task<Contender> OursAsync(SystemFixture system, TestApi api, UserGrants grants, string name = "ours")
    {
        var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
        var token = (await api.ClientCredentialsAsync(clientId, secret)).AccessToken!;
        var tokenEndpoint = Comparison.Token(grants.TokenUrl, grants.ClientId, grants.Secret, null);
        var cc = Comparison.Token(new Uri(system.EdgeUrl, "/oauth/token"), clientId, secret, "grant_type=client_credentials");
        var introspection = Comparison.Token(new Uri(system.EdgeUrl, "/oauth/introspect"), clientId, secret, "token=" + token);
        var codes = new CodeSupply(grants.CodesAsync, 800);
        return new Contender(name, true, new Dictionary<string, Prepare>
        {
            [ClientCredentials] = (_, _) => Task.FromResult(new Prepared(cc, null)),
            [CodeRedemption] = async (connections, length) =>
            {
                var minted = await codes.ForAsync(length);
                return new Prepared(tokenEndpoint with { Script = UserGrants.CodeScript(minted, Wrk.Threads(connections), grants.CodeRedemptionPrefix) }, minted.Length);
            },
            [Refresh] = async (connections, _) =>
                new Prepared(tokenEndpoint with { Script = UserGrants.RefreshScript(await grants.RefreshTokensAsync(connections)), ThreadPerConnection = true }, null),
            [Introspection] = (_, _) => Task.FromResult(new Prepared(introspection, null)),
        }) { Codes = codes };
    }

    /// <summary>oidc-provider's same scenarios: client credentials (RS256 JWT, not stored), redemption and refresh (stored), introspection of a stored opaque token.</summary>
    public static async Task<Contender> PeerAsync(OidcProviderPeer peer)
    {
        var tokenEndpoint = Comparison.Token(new Uri(peer.Url, "/token"), OidcProviderPeer.WebClientId, OidcProviderPeer.ClientSecret, null);
        var cc = Comparison.Token(new Uri(peer.Url, "/token"), OidcProviderPeer.ClientId, OidcProviderPeer.ClientSecret, "grant_type=client_credentials");
        var introspection = Comparison.Token(new Uri(peer.Url, "/token/introspection"), OidcProviderPeer.ClientId, OidcProviderPeer.ClientSecret,
            "token=" + await peer.OpaqueTokenAsync() + "&token_type_hint=access_token");
        var codes = new CodeSupply(peer.CodesAsync, 300);
        return new Contender("oidc-provider", false, new Dictionary<string, Prepare>
        {
            [ClientCredentials] = (_, _) => Task.FromResult(new Prepared(cc, null)),
            [CodeRedemption] = async (connections, length) =>
            {
                var minted = await codes.ForAsync(length);
                return new Prepared(tokenEndpoint with { Script = UserGrants.CodeScript(minted, Wrk.Threads(connections), peer.CodeRedemptionPrefix) }, minted.Length);
            },
            [Refresh] = async (connections, _) => new Prepared(tokenEndpoint with
            {
                Script = UserGrants.RefreshScript(await peer.RefreshTokensAsync(connections, OidcProviderPeer.ClientSecret)),
                ThreadPerConnection = true,
            }, null),
            [Introspection] = (_, _) => Task.FromResult(new Prepared(introspection, null)),
        }) { Codes = codes };
    }

    /// <summary>
    /// One measured run: prepared, run, and for ours followed by the audit relay catching up (not
    /// counted). A run that spends every code it was given is run again, shorter: wrk would count its idle rest.
    /// </summary>
    public static async Task<WrkResult> RunAsync(SystemFixture system, Contender contender, string scenario, int connections, TimeSpan duration, int run)
    {
        for (var length = duration; ; length /= 2)
        {
            var prepared = await contender.Scenarios[scenario](connections, length);
            if (contender.Ours)
            {
                // Minting codes through /oauth/authorize wrote their audit events: the run must not pay for their relay.
                await Comparison.OutboxDrainedAsync(system);
            }

            WrkResult result;
            if (contender.Ours)
            {
                // PostgreSQL's counters until the outbox is empty again: the relay's and the audit log's writes for the run count too.
                var (measured, postgres) = await PgWorkMeter.DuringAsync(system, async () =>
                {
                    var wrk = await Wrk.RunAsync(contender.Name, scenario, prepared.Request, connections, length, run);
                    await Comparison.OutboxDrainedAsync(system);
                    return wrk;
                }, r => r.Requests);
                result = measured with { Postgres = postgres };
            }
            else
            {
                result = await Wrk.RunAsync(contender.Name, scenario, prepared.Request, connections, length, run);
            }

            contender.Codes?.Observed(result, scenario);
            if (prepared.Budget is not { } budget || result.Requests < budget - connections)
            {
                return result;
            }

            if (length < TimeSpan.FromSeconds(4))
            {
                throw new InvalidOperationException($"{contender.Name}: runs keep spending all their codes ({budget}): codes cannot be minted fast enough.");
            }

            Console.WriteLine($"  {contender.Name} spent all {budget} codes: again, shorter");
        }
    }

    /// <summary>Runs every contender in turn, <paramref name="rounds"/> times, printing each result.</summary>
    public static async Task<List<WrkResult>> AlternateAsync(SystemFixture system, IReadOnlyList<Contender> contenders, string scenario, int connections,
        TimeSpan duration, int rounds, Action<WrkResult>? each = null)
    {
        var results = new List<WrkResult>();
        for (var run = 1; run <= rounds; run++)
        {
            // A B, then B A: neither side always runs on the warmer (or the more loaded) machine.
            foreach (var contender in run % 2 == 1 ? contenders : contenders.Reverse())
            {
                var result = await RunAsync(system, contender, scenario, connections, duration, run);
                results.Add(result);
                Console.WriteLine(Line(result));
                each?.Invoke(result);
            }
        }

        return results;
    }

    public static string Line(WrkResult r) =>
        $"{r.Target,-14} {r.Scenario,-30} c={r.Connections,-3} run {r.Run}: {r.PerSecond,8:F0}/s  p50 {r.P50Ms,7:F2} ms  p99 {r.P99Ms,7:F2} ms  non-2xx {r.Non2xx}  socket errors {r.SocketErrors}" + (r.Postgres is { } postgres ? "\n    " + postgres : "");

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>Ours and oidc-provider (PostgreSQL storage) ready on a running system, with what they need kept alive.</summary>
public sealed class Field(UserGrants grants, OidcProviderPeer peer, Contender[] contenders) : IAsyncDisposable
{
    public Contender[] Contenders { get; } = contenders;

    public OidcProviderPeer Peer { get; } = peer;

    public static async Task<Field> StartAsync(SystemFixture system, string root)
    {
        var api = new TestApi(system);
        var grants = await UserGrants.StartAsync(system, api);
        var peer = await Targets.PeerAsync(system, root);
        return new Field(grants, peer, [await Contest.OursAsync(system, api, grants), await Contest.PeerAsync(peer)]);
    }

    /// <summary>A short run of the scenario for each, at 16 connections, not counted.</summary>
    public async Task WarmUpAsync(SystemFixture system, string scenario)
    {
        foreach (var contender in Contenders)
        {
            await Contest.RunAsync(system, contender, scenario, 16, TimeSpan.FromSeconds(4), 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        grants.Dispose();
        await Peer.DisposeAsync();
    }
}

/// <summary>
/// Codes minted just before each run: enough for the run at the fastest rate seen (so it never runs
/// out), never more than can be minted in 30 s, so none it spends has reached its 60 s lifetime.
/// </summary>
public sealed class CodeSupply(Func<int, Task<string[]>> mint, double initialRate)
{
    private double _redeemRate = initialRate;
    private double _mintRate = 1000;

    public async Task<string[]> ForAsync(TimeSpan length)
    {
        var wanted = (int)(_redeemRate * length.TotalSeconds * 1.6) + 200;
        var count = (int)Math.Min(wanted, _mintRate * Math.Max(5, 30 - length.TotalSeconds));
        var clock = Stopwatch.StartNew();
        var codes = await mint(count);
        _mintRate = Math.Max(100, codes.Length / clock.Elapsed.TotalSeconds);
        // Newest first: a run spends from the front, so the codes it reaches last are the ones minted first, if any.
        Array.Reverse(codes);
        return codes;
    }

    public void Observed(WrkResult result, string scenario)
    {
        if (scenario == Contest.CodeRedemption)
        {
            _redeemRate = Math.Max(_redeemRate, result.PerSecond);
        }
    }
}
