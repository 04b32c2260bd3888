using Grpc.Core;
using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.ServiceDefaults.Caching;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.Edge.Security;

/// <summary>The API policies and active scopes the edge decides from, without a call per request.</summary>
/// <param name="Audiences">Every audience this issuer's access tokens may have: the default one and each API's resource identifier (RFC 8707).</param>
public sealed record ApiPolicySet(IReadOnlyList<Protocol.Policies.ApiPolicy> Policies, IReadOnlySet<string> ActiveScopes, string[] Audiences)
{
    /// <summary>The policies by base path: a call finds its API in a look-up per path segment.</summary>
    public ApiPolicyIndex Index { get; } = new(Policies);
}

/// <summary>
/// The current <see cref="ApiPolicySet"/>: loaded from scope-policy once, kept for a bounded time
/// and dropped within a second of any scope or policy change (events over RabbitMQ; kept a second
/// at most while those cannot arrive, see <see cref="CacheEpoch"/>). If
/// scope-policy cannot answer, the last set keeps serving for a while rather than failing every
/// API call; with none, or one known to be out of date, the call fails closed (503).
/// </summary>
public sealed class ApiPolicySnapshot(IServiceProvider services, EdgeSettings settings, ILogger<ApiPolicySnapshot> logger)
{
    private static readonly long Lifetime = (long)CachedLookup.DefaultLifetime.TotalMilliseconds;
    private static readonly long StaleLimit = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;
    private static readonly long RetryPause = (long)TimeSpan.FromSeconds(2).TotalMilliseconds;

    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Entry? _current;
    private long _generation;
    private long _retryAt;

    /// <summary>The set to decide from, and whether it came from memory (for the decision-latency metric).</summary>
    public async ValueTask<(ApiPolicySet Set, bool Cached)> GetAsync(CancellationToken cancellationToken)
    {
        var entry = _current;
        var now = Environment.TickCount64;
        if (entry is not null && entry.Expires > now && entry.Epoch == CacheEpoch.Current)
        {
            return (entry.Set, true);
        }

        if (entry is { Dropped: false } && now < Interlocked.Read(ref _retryAt) && now - entry.Loaded < StaleLimit)
        {
            return (entry.Set, true);
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have loaded it while this one waited.
            entry = _current;
            if (entry is not null && entry.Expires > Environment.TickCount64 && entry.Epoch == CacheEpoch.Current)
            {
                return (entry.Set, true);
            }

            var generation = Interlocked.Read(ref _generation);
            var epoch = CacheEpoch.Current;
            try
            {
                var set = await LoadAsync(cancellationToken);
                var lifetime = (long)CacheEpoch.Cap(TimeSpan.FromMilliseconds(Lifetime)).TotalMilliseconds;
                var loaded = new Entry(set, Environment.TickCount64, Environment.TickCount64 + lifetime, epoch, Dropped: false);
                // A change announced during the load must not be hidden behind what the load read.
                _current = generation == Interlocked.Read(ref _generation) ? loaded : loaded with { Expires = 0, Dropped = true };
                return (set, false);
            }
            catch (RpcException e) when (entry is { Dropped: false } && Environment.TickCount64 - entry.Loaded < StaleLimit)
            {
                Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + RetryPause);
                logger.LogWarning("API policies could not be reloaded ({Status}); deciding from the set loaded {Age} s ago",
                    e.StatusCode, (Environment.TickCount64 - entry.Loaded) / 1000);
                return (entry.Set, true);
            }
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Drops the set: the next API call reloads it.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        if (_current is { } entry)
        {
            // A set known to be out of date is never served, even while scope-policy is away.
            _current = entry with { Expires = 0, Dropped = true };
        }

        Interlocked.Exchange(ref _retryAt, 0);
    }

    private async Task<ApiPolicySet> LoadAsync(CancellationToken cancellationToken)
    {
        var reply = await services.GetRequiredService<ScopePolicyClient>().ListApiPoliciesAsync(new ListApiPoliciesRequest(), cancellationToken: cancellationToken);
        var policies = reply.Policies.Select(p => p.ToPolicy()).ToArray();
        return new ApiPolicySet(policies, reply.ActiveScopes.ToHashSet(StringComparer.Ordinal),
            [settings.Audience, .. policies.Where(p => p.Resource is not null).Select(p => p.Resource!)]);
    }

    private sealed record Entry(ApiPolicySet Set, long Loaded, long Expires, long Epoch, bool Dropped);
}

/// <summary>Any scope or policy change drops the edge's policy set.</summary>
public sealed class ApiPolicyChangedConsumer(ApiPolicySnapshot snapshot) :
    IConsumer<ScopeCreated>, IConsumer<ScopeUpdated>, IConsumer<ScopeDeleted>,
    IConsumer<ApiPolicyCreated>, IConsumer<ApiPolicyUpdated>, IConsumer<ApiPolicyDeleted>
{
    public Task Consume(ConsumeContext<ScopeCreated> context) => Drop();

    public Task Consume(ConsumeContext<ScopeUpdated> context) => Drop();

    public Task Consume(ConsumeContext<ScopeDeleted> context) => Drop();

    public Task Consume(ConsumeContext<ApiPolicyCreated> context) => Drop();

    public Task Consume(ConsumeContext<ApiPolicyUpdated> context) => Drop();

    public Task Consume(ConsumeContext<ApiPolicyDeleted> context) => Drop();

    private Task Drop()
    {
        snapshot.Invalidate();
        return Task.CompletedTask;
    }
}
