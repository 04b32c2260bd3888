namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>What every cached look-up shares unless it says otherwise.</summary>
public static class CachedLookup
{
    /// <summary>
    /// How long a looked-up value is served without asking again. Change events drop it within a
    /// second; this only bounds staleness should one be missed (and <see cref="CacheEpoch"/> cuts it
    /// to a second while events cannot arrive).
    /// </summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);

    /// <summary>Entries a cache holds before it starts again from empty.</summary>
    public const int DefaultCapacity = 10_000;
}

/// <summary>A cache that change events can empty (see <see cref="InvalidateOn{TEvent}"/>).</summary>
public interface IInvalidatable
{
    void Clear();
}

/// <summary>A cache that change events can drop single keys from, or empty.</summary>
public interface IInvalidatable<TKey> : IInvalidatable
{
    void Invalidate(TKey key);
}

/// <summary>
/// A remote look-up (a registry, a directory, a policy service) cached on top of
/// <see cref="ExpiringCache{TKey, TValue}"/>: a hit is one dictionary read, with no lock and no
/// allocation; a miss calls the loader and caches whatever it answers, "unknown" (null) included, so
/// a burst of requests for an id not registered yet costs one call. Change events drop entries, as
/// declared with <see cref="InvalidateOn{TEvent}"/>; a load that overlapped one is not stored.
/// </summary>
public sealed class CachedLookup<TKey, TValue> : IInvalidatable<TKey> where TKey : notnull
{
    private readonly ExpiringCache<TKey, TValue> _cache;
    private readonly Func<TKey, CancellationToken, Task<TValue>> _load;
    private readonly Func<TValue, TimeSpan?>? _lifetimeOf;

    /// <param name="load">Asks the remote side for a key's value.</param>
    /// <param name="lifetime">The longest a value is kept: <see cref="CachedLookup.DefaultLifetime"/> unless given.</param>
    /// <param name="capacity">Entries held before the cache starts again from empty.</param>
    /// <param name="lifetimeOf">A lifetime per value (capped by <paramref name="lifetime"/>); null keeps that value out.</param>
    public CachedLookup(Func<TKey, CancellationToken, Task<TValue>> load, TimeSpan? lifetime = null, int capacity = CachedLookup.DefaultCapacity,
        Func<TValue, TimeSpan?>? lifetimeOf = null)
    {
        _cache = new ExpiringCache<TKey, TValue>(lifetime ?? CachedLookup.DefaultLifetime, capacity);
        _load = load;
        _lifetimeOf = lifetimeOf;
    }

    public int Count => _cache.Count;

    // The hit is answered here, synchronously: no async state machine, no delegate, no allocation.
    public ValueTask<TValue> GetAsync(TKey key, CancellationToken cancellationToken) =>
        _cache.TryGet(key, out var value) ? new ValueTask<TValue>(value) : LoadAsync(key, cancellationToken);

    public bool TryGet(TKey key, out TValue value) => _cache.TryGet(key, out value);

    public void Invalidate(TKey key) => _cache.Invalidate(key);

    public void Clear() => _cache.Clear();

    private ValueTask<TValue> LoadAsync(TKey key, CancellationToken cancellationToken) =>
        _lifetimeOf is null ? _cache.GetOrAddAsync(key, _load, cancellationToken) : _cache.GetOrAddAsync(key, _load, _lifetimeOf, cancellationToken);
}

/// <summary>
/// A <see cref="CachedLookup{TKey, TValue}"/> whose loader needs more than the key: what the caller
/// knows (the client being served, the caller's address). The context reaches the loader on a miss
/// and is never part of the key, so callers with the same key share one entry.
/// </summary>
public sealed class CachedLookup<TKey, TContext, TValue> : IInvalidatable<TKey> where TKey : notnull
{
    private readonly ExpiringCache<TKey, TValue> _cache;
    private readonly Func<TKey, TContext, CancellationToken, Task<TValue>> _load;
    private readonly Func<TValue, TimeSpan?>? _lifetimeOf;

    /// <param name="load">Asks the remote side for a key's value, with the caller's context.</param>
    /// <param name="lifetime">The longest a value is kept: <see cref="CachedLookup.DefaultLifetime"/> unless given.</param>
    /// <param name="capacity">Entries held before the cache starts again from empty.</param>
    /// <param name="lifetimeOf">A lifetime per value (capped by <paramref name="lifetime"/>); null keeps that value out.</param>
    public CachedLookup(Func<TKey, TContext, CancellationToken, Task<TValue>> load, TimeSpan? lifetime = null,
        int capacity = CachedLookup.DefaultCapacity, Func<TValue, TimeSpan?>? lifetimeOf = null)
    {
        _cache = new ExpiringCache<TKey, TValue>(lifetime ?? CachedLookup.DefaultLifetime, capacity);
        _load = load;
        _lifetimeOf = lifetimeOf;
    }

    public int Count => _cache.Count;

    public ValueTask<TValue> GetAsync(TKey key, TContext context, CancellationToken cancellationToken) =>
        _cache.TryGet(key, out var value) ? new ValueTask<TValue>(value) : LoadAsync(key, context, cancellationToken);

    public bool TryGet(TKey key, out TValue value) => _cache.TryGet(key, out value);

    public void Invalidate(TKey key) => _cache.Invalidate(key);

    public void Clear() => _cache.Clear();

    // A method of its own so that the closure over the context is allocated on a miss only.
    private ValueTask<TValue> LoadAsync(TKey key, TContext context, CancellationToken cancellationToken)
    {
        Func<TKey, CancellationToken, Task<TValue>> load = (k, ct) => _load(k, context, ct);
        return _lifetimeOf is null ? _cache.GetOrAddAsync(key, load, cancellationToken) : _cache.GetOrAddAsync(key, load, _lifetimeOf, cancellationToken);
    }
}
