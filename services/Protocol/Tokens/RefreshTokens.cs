using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Tokens;

public enum RefreshDecision
{
    /// <summary>Unused token: rotate it.</summary>
    Rotate,
    /// <summary>Used moments ago by a concurrent request that won: refuse this one, harm nothing.</summary>
    RaceLost,
    /// <summary>Used long ago: someone replays a stolen token. Revoke the whole family.</summary>
    Reuse,
}

/// <summary>
/// Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2): opaque 256-bit random values, stored hashed,
/// rotated on every use, grouped in a family that expires a fixed time after its first issue. They
/// begin with <see cref="Prefix"/>, in the namespace <see cref="OwnPrefix"/> that no trusted
/// provider's opaque-token prefix may touch: one of ours sent as a bearer token by mistake is
/// refused at the edge, never sent to a provider's introspection endpoint.
/// </summary>
public static class RefreshTokens
{
    /// <summary>Kept for this issuer's own opaque bearer-looking values (refresh tokens so far): no trust's opaque-token prefix may touch it.</summary>
    public const string OwnPrefix = "oaa_";

    public const string Prefix = OwnPrefix + "rt_";

    public static string New() => Prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>One of ours by its form (legacy refresh tokens, from before the prefix, are not recognised: they expire with their families).</summary>
    public static bool IsOwn(string token) => token.StartsWith(OwnPrefix, StringComparison.Ordinal);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Opaque refresh tokens have no dots; our access tokens are JWTs with two.</summary>
    public static bool LooksLikeRefreshToken(string token) => !token.Contains('.');

    public static RefreshDecision Decide(DateTimeOffset? rotatedAt, DateTimeOffset now, TimeSpan grace) => rotatedAt switch
    {
        null => RefreshDecision.Rotate,
        { } used when now - used <= grace => RefreshDecision.RaceLost,
        _ => RefreshDecision.Reuse,
    };

    /// <summary>The family's absolute end: rotation never extends it.</summary>
    public static DateTimeOffset FamilyExpiry(DateTimeOffset firstIssued, TimeSpan lifespan) => firstIssued + lifespan;
}
