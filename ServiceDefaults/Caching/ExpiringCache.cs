using System.Collections.Concurrent;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>
/// A small bounded cache with a time-to-live, for look-ups on hot paths (clients, users,
/// scope decisions). Entries are dropped by invalidation events within a second of a change;
/// the lifetime bounds staleness if an event is ever missed (for example while the broker is away).
/// </summary>
public sealed class ExpiringCache<TKey, TValue>(TimeSpan lifetime, int capacity = 10_000) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private long _generation;

    /// <summary>Shortened while invalidation events cannot arrive (the broker is away).</summary>
    public Func<TimeSpan>? LifetimeOverride { get; set; }

    public int Count => _entries.Count;

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Expires > Environment.TickCount64)
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
        var value = await load(key, cancellationToken);
        Set(key, value, generation);
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
        var value = await load(key, cancellationToken);
        if (lifetimeOf(value) is { } ttl && ttl > TimeSpan.Zero)
        {
            Set(key, value, generation, ttl < lifetime ? ttl : lifetime);
        }

        return value;
    }

    public void Set(TKey key, TValue value) => Set(key, value, Interlocked.Read(ref _generation));

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

    private void Set(TKey key, TValue value, long generation, TimeSpan? ttlOverride = null)
    {
        if (generation != Interlocked.Read(ref _generation))
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            // Crude but bounded: the working set refills within one lifetime.
            _entries.Clear();
        }

        var ttl = ttlOverride ?? LifetimeOverride?.Invoke() ?? lifetime;
        _entries[key] = new Entry(value, Environment.TickCount64 + (long)ttl.TotalMilliseconds);
    }

    private readonly record struct Entry(TValue Value, long Expires);
}
