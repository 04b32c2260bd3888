using System.Collections.Concurrent;
using Grpc.Core;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>
/// A small bounded cache with a time-to-live, for look-ups on hot paths (clients, users,
/// scope decisions). Entries are dropped by invalidation events within a second of a change;
/// the lifetime bounds staleness if an event is ever missed, and <see cref="CacheEpoch"/> cuts it to a
/// second while the broker is away and drops every entry when events can be heard again.
/// Concurrent misses of one key share one load: an entry expiring under load costs one call, not one per request.
/// </summary>
public sealed class ExpiringCache<TKey, TValue>(TimeSpan lifetime, int capacity = CachedLookup.DefaultCapacity) where TKey : notnull
{
    /// <summary>The longest a shared load may run: no caller's cancellation ends it, so something must.</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, Loading> _loading = new();
    private readonly Lock _trimming = new();
    private long _generation;
    private long _stamp;

    public int Count => _entries.Count;

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Expires > Environment.TickCount64 && entry.Epoch == CacheEpoch.Current)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public ValueTask<TValue> GetOrAddAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, CancellationToken cancellationToken) =>
        TryGet(key, out var cached) ? new ValueTask<TValue>(cached) : LoadAsync(key, load, null, cancellationToken);

    /// <summary>
    /// Like <see cref="GetOrAddAsync(TKey, Func{TKey, CancellationToken, Task{TValue}}, CancellationToken)"/>, with a
    /// lifetime per value (capped by the cache's own); a null lifetime keeps the value out of the cache.
    /// </summary>
    public ValueTask<TValue> GetOrAddAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, Func<TValue, TimeSpan?> lifetimeOf,
        CancellationToken cancellationToken) =>
        TryGet(key, out var cached) ? new ValueTask<TValue>(cached) : LoadAsync(key, load, lifetimeOf, cancellationToken);

    public void Set(TKey key, TValue value) => Set(key, value, Interlocked.Read(ref _generation), CacheEpoch.Current);

    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(key, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private async ValueTask<TValue> LoadAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, Func<TValue, TimeSpan?>? lifetimeOf,
        CancellationToken cancellationToken)
    {
        // A load that began before an invalidation (or a change of epoch) is joined by nobody who asks after it.
        var generation = Interlocked.Read(ref _generation);
        var epoch = CacheEpoch.Current;
        var mine = new Loading(generation, epoch, new TaskCompletionSource<(TValue, bool)>(TaskCreationOptions.RunContinuationsAsynchronously));
        var running = _loading.AddOrUpdate(key, mine, (_, other) => other.Generation == generation && other.Epoch == epoch ? other : mine);
        if (ReferenceEquals(running, mine))
        {
            _ = RunAsync(key, load, lifetimeOf, mine);
        }

        // Each caller waits with its own token; one going away leaves the load to the others.
        var (value, kept) = await running.Result.Task.WaitAsync(cancellationToken);
        if (kept || ReferenceEquals(running, mine))
        {
            return value;
        }

        // A value that may not be kept (a one-time token's check, an answer not to be reused) is each caller's own: ask again.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(LoadTimeout);
        return await load(key, timeout.Token);
    }

    private async Task RunAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, Func<TValue, TimeSpan?>? lifetimeOf, Loading loading)
    {
        using var timeout = new CancellationTokenSource(LoadTimeout);
        try
        {
            var value = await load(key, timeout.Token);
            var ttl = lifetimeOf is null ? lifetime : lifetimeOf(value) is { } own && own > TimeSpan.Zero ? (own < lifetime ? own : lifetime) : (TimeSpan?)null;
            if (ttl is { } kept)
            {
                Set(key, value, loading.Generation, loading.Epoch, kept);
            }

            _loading.TryRemove(KeyValuePair.Create(key, loading));
            loading.Result.SetResult((value, ttl is not null));
        }
        catch (Exception e)
        {
            // Failures are not remembered: the next miss tries again. A load that ran out of time is a dependency that did not answer.
            _loading.TryRemove(KeyValuePair.Create(key, loading));
            loading.Result.SetException(timeout.IsCancellationRequested && e is OperationCanceledException or RpcException
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer within {LoadTimeout.TotalSeconds} s"))
                : e);
        }
    }

    private void Set(TKey key, TValue value, long generation, long epoch, TimeSpan? ttlOverride = null)
    {
        if (_entries.Count >= capacity && !_entries.ContainsKey(key))
        {
            Trim();
        }

        // A load that spanned a change of epoch or an invalidation may have missed an event: keep it out,
        // and check again once written, should the invalidation come between the check and the write.
        if (generation != Interlocked.Read(ref _generation) || epoch != CacheEpoch.Current)
        {
            return;
        }

        var ttl = CacheEpoch.Cap(ttlOverride ?? lifetime);
        var entry = new Entry(value, Environment.TickCount64 + (long)ttl.TotalMilliseconds, epoch, Interlocked.Increment(ref _stamp));
        _entries[key] = entry;
        if (generation != Interlocked.Read(ref _generation) || epoch != CacheEpoch.Current)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
        }
    }

    /// <summary>
    /// Makes room: drops what has expired, and if that is not a quarter of the cache, the oldest half.
    /// Bounded by count, and a working set near the bound keeps its newer half rather than starting from empty.
    /// </summary>
    private void Trim()
    {
        lock (_trimming)
        {
            if (_entries.Count < capacity)
            {
                return;
            }

            var now = Environment.TickCount64;
            var current = CacheEpoch.Current;
            foreach (var (key, entry) in _entries)
            {
                if (entry.Expires <= now || entry.Epoch != current)
                {
                    _entries.TryRemove(KeyValuePair.Create(key, entry));
                }
            }

            if (_entries.Count <= capacity * 3 / 4)
            {
                return;
            }

            var stamps = _entries.Values.Select(e => e.Stamp).ToArray();
            Array.Sort(stamps);
            var cut = stamps[stamps.Length / 2];
            foreach (var (key, entry) in _entries)
            {
                if (entry.Stamp < cut)
                {
                    _entries.TryRemove(KeyValuePair.Create(key, entry));
                }
            }
        }
    }

    private readonly record struct Entry(TValue Value, long Expires, long Epoch, long Stamp);

    /// <param name="Result">The value, and whether it was kept: one that was not is not shared.</param>
    private sealed record Loading(long Generation, long Epoch, TaskCompletionSource<(TValue Value, bool Kept)> Result);
}
