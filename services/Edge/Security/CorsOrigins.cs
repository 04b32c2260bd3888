using System.Collections.Frozen;
using Grpc.Core;
using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// The browser origins the public endpoints answer cross-origin requests from: the union of every
/// active client's allowed origins, since a preflight names no client (Keycloak decides its web
/// origins realm-wide for the same reason). Loaded from client-registry, kept a bounded time and
/// dropped within a second of any client change (events; a second at most while they cannot
/// arrive, see <see cref="CacheEpoch"/>). If client-registry cannot answer, the last set serves a
/// while unless a change is known to have come since; with none, no origin is allowed.
/// </summary>
public sealed class CorsOrigins(IServiceProvider services, ILogger<CorsOrigins> logger)
{
    private static readonly long Lifetime = (long)CachedLookup.DefaultLifetime.TotalMilliseconds;
    private static readonly long StaleLimit = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;
    // After a failed load, requests are decided without calling again for this long: an outage must
    // not turn every cross-origin request into a call that waits for its deadline.
    private static readonly long RetryPause = (long)TimeSpan.FromSeconds(2).TotalMilliseconds;
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(3);

    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Entry? _current;
    private long _generation;
    private long _retryAt;

    /// <summary>True when <paramref name="origin"/> (the request's <c>Origin</c>, as sent) is registered by an active client.</summary>
    public async ValueTask<bool> AllowsAsync(string origin, CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).Contains(origin);

    /// <summary>Drops the set: the next cross-origin request reloads it, and the old one is never served again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        if (_current is { } entry)
        {
            _current = entry with { Expires = 0, Dropped = true };
        }

        Interlocked.Exchange(ref _retryAt, 0);
    }

    private async ValueTask<FrozenSet<string>> GetAsync(CancellationToken cancellationToken)
    {
        var entry = _current;
        if (IsFresh(entry))
        {
            return entry!.Origins;
        }

        if (Environment.TickCount64 < Interlocked.Read(ref _retryAt))
        {
            return Fallback(entry);
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have loaded it, or failed to, while this one waited.
            entry = _current;
            if (IsFresh(entry))
            {
                return entry!.Origins;
            }

            if (Environment.TickCount64 < Interlocked.Read(ref _retryAt))
            {
                return Fallback(entry);
            }

            var generation = Interlocked.Read(ref _generation);
            var epoch = CacheEpoch.Current;
            try
            {
                var origins = await LoadAsync(cancellationToken);
                var now = Environment.TickCount64;
                var lifetime = (long)CacheEpoch.Cap(TimeSpan.FromMilliseconds(Lifetime)).TotalMilliseconds;
                var loaded = new Entry(origins, now, now + lifetime, epoch, Dropped: false);
                // A change announced during the load must not hide behind what the load read.
                _current = generation == Interlocked.Read(ref _generation) ? loaded : loaded with { Expires = 0, Dropped = true };
                return origins;
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + RetryPause);
                var fallback = Fallback(entry);
                logger.LogWarning("Allowed origins could not be loaded ({Status}); deciding cross-origin requests from {Count} origin(s) loaded before",
                    e.StatusCode, fallback.Count);
                return fallback;
            }
        }
        finally
        {
            _loading.Release();
        }
    }

    private static bool IsFresh(Entry? entry) =>
        entry is not null && entry.Expires > Environment.TickCount64 && entry.Epoch == CacheEpoch.Current;

    // A set known to be out of date is never served; an old one only within the stale limit; else none (fail closed).
    private static FrozenSet<string> Fallback(Entry? entry) =>
        entry is { Dropped: false } && Environment.TickCount64 - entry.Loaded < StaleLimit ? entry.Origins : FrozenSet<string>.Empty;

    private async Task<FrozenSet<string>> LoadAsync(CancellationToken cancellationToken)
    {
        var reply = await services.GetRequiredService<ClientRegistryClient>().ListAllowedOriginsAsync(new ListAllowedOriginsRequest(),
            deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken);
        return reply.Origins.ToFrozenSet(StringComparer.Ordinal);
    }

    private sealed record Entry(FrozenSet<string> Origins, long Loaded, long Expires, long Epoch, bool Dropped);
}

/// <summary>Any client registered, changed (origins, deactivation) or deleted drops the edge's origin set.</summary>
public sealed class CorsOriginsChangedConsumer(CorsOrigins origins) : IConsumer<ClientCreated>, IConsumer<ClientUpdated>, IConsumer<ClientDeleted>
{
    public Task Consume(ConsumeContext<ClientCreated> context) => Drop();

    public Task Consume(ConsumeContext<ClientUpdated> context) => Drop();

    public Task Consume(ConsumeContext<ClientDeleted> context) => Drop();

    private Task Drop()
    {
        origins.Invalidate();
        return Task.CompletedTask;
    }
}
