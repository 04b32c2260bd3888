using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>
/// Access tokens already validated (signature, type, issuer, audience), by their exact text, so a
/// token presented for many calls pays for signature verification and claims parsing once. An entry
/// belongs to the key set it was checked against: once the keys change (rotation, refetch) every
/// entry is dropped. Expiry is checked again on every hit. Only what the token itself states is
/// kept: revocation and the client's state are the caller's to check on every call. Bounded: when
/// full it starts over rather than grow.
/// </summary>
public sealed class ValidatedTokens(int capacity = 20_000)
{
    private Generation _current = new([], new(StringComparer.Ordinal));

    /// <summary>The token's content when it was validated against <paramref name="keys"/> and has not expired at <paramref name="now"/>.</summary>
    public AccessTokenContent? Find(string token, IReadOnlyList<SecurityKey> keys, DateTimeOffset now, TimeSpan clockSkew)
    {
        var generation = Volatile.Read(ref _current);
        return ReferenceEquals(generation.Keys, keys) && generation.Entries.TryGetValue(token, out var content) && content.ExpiresAt + clockSkew > now
            ? content
            : null;
    }

    /// <summary>Remembers a token just validated against <paramref name="keys"/>.</summary>
    public void Add(string token, IReadOnlyList<SecurityKey> keys, AccessTokenContent content)
    {
        var generation = Volatile.Read(ref _current);
        if (!ReferenceEquals(generation.Keys, keys) || generation.Entries.Count >= capacity)
        {
            generation = new Generation(keys, new(StringComparer.Ordinal));
            Volatile.Write(ref _current, generation);
        }

        generation.Entries[token] = content;
    }

    private sealed record Generation(IReadOnlyList<SecurityKey> Keys, ConcurrentDictionary<string, AccessTokenContent> Entries);
}
