using System.Collections.Concurrent;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Tokens already validated, so a caller that reuses its token (as service tokens are reused for
/// 40 s) costs no signature check on the hot path. Small and bounded: when full it is emptied (the
/// next calls validate again). An entry is used only until the token's own expiry.
/// </summary>
internal sealed class ValidatedTokenCache<T>(int capacity = 256) where T : class
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public T? Find(string token, DateTimeOffset now) =>
        _entries.TryGetValue(token, out var entry) && now < entry.ExpiresAt ? entry.Value : null;

    public void Add(string token, T value, DateTimeOffset expiresAt)
    {
        // Count takes every lock; only reached after a full validation, never on a hit.
        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries[token] = new Entry(value, expiresAt);
    }

    public int Count => _entries.Count;

    private sealed record Entry(T Value, DateTimeOffset ExpiresAt);
}
