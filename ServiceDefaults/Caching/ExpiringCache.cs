using System.Collections.Concurrent;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>
/// A small bounded cache with a time-to-live, for look-ups on hot paths (clients, users,
/// scope decisions). Entries are dropped by invalidation events within a second of a change;
/// the lifetime bounds staleness if an event is ever missed, and <see cref="CacheEpoch"/> cuts it to a
/// second while the broker is away and drops every entry when events can be heard again.
/// </summary>
public sealed class ExpiringCache<TKey, TValue>(TimeSpan lifetime, int capacity = CachedLookup.DefaultCapacity) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private long _generation;

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

    public async ValueTask<TValue> GetOrAddAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, CancellationToken cancellationToken)
    {
        if (TryGet(key, out var cached))
        {
            return cached;
        }

        // A load that began before an invalidation must not store its (possibly stale) result.
        var generation = Interlocked.Read(ref _generation);
        var epoch = CacheEpoch.Current;
        var value = await load(key, cancellationToken);
        Set(key, value, generation, epoch);
        return value;
    }

    /// <summary>
    /// Like <see cref="GetOrAddAsync(TKey, Func{TKey, CancellationToken, Task{TValue}}, CancellationToken)"/>, with a
    /// lifetime per value (capped by the cache's own); a null lifetime keeps the value out of the cache.
    /// </summary>
    public async ValueTask<TValue> GetOrAddAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> load, Func<TValue, TimeSpan?> lifetimeOf,
        CancellationToken cancellationToken)
    {
        if (TryGet(key, out var cached))
        {
            return cached;
        }

        var generation = Interlocked.Read(ref _generation);
        var epoch = CacheEpoch.Current;
        var value = await load(key, cancellationToken);
        if (lifetimeOf(value) is { } ttl && ttl > TimeSpan.Zero)
        {
            Set(key, value, generation, epoch, ttl < lifetime ? ttl : lifetime);
        }

        return value;
    }

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

    private void Set(TKey key, TValue value, long generation, long epoch, TimeSpan? ttlOverride = null)
    {
        // A load that spanned a change of epoch may have missed an event: keep it out.
        if (generation != Interlocked.Read(ref _generation) || epoch != CacheEpoch.Current)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            // Crude but bounded: the working set refills within one lifetime.
            _entries.Clear();
        }

        var ttl = CacheEpoch.Cap(ttlOverride ?? lifetime);
        _entries[key] = new Entry(value, Environment.TickCount64 + (long)ttl.TotalMilliseconds, epoch);
    }

    private readonly record struct Entry(TValue Value, long Expires, long Epoch);
}
