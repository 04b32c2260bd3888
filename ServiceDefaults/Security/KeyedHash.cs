using System.Security.Cryptography;
using System.Text;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// HMAC-SHA256 under a key derived (HKDF) from the internal key for one purpose. Identifies what a
/// caller typed as a user name (often a password typed in the wrong field) without storing or
/// publishing it, and without a dictionary of common passwords finding it again: only holders of
/// the internal key can compute it.
/// </summary>
public sealed class KeyedHash
{
    /// <summary>The authorize service's failed-sign-in counters (<c>login_failure.name_key</c>).</summary>
    public const string LoginFailurePurpose = "oauthaspire/login-failure/v1";

    /// <summary>The edge's <c>RateLimited</c> audit events for the per-user login limit.</summary>
    public const string RateLimitedUserPurpose = "oauthaspire/rate-limited-user/v1";

    private readonly byte[] _key;

    public KeyedHash(InternalKey internalKey, string purpose) =>
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(internalKey.Value), 32, info: Encoding.UTF8.GetBytes(purpose));

    public byte[] Of(string value) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(value));

    /// <summary>The first <paramref name="bytes"/> bytes, as lowercase hex: enough to tell values apart in an audit trail.</summary>
    public string HexOf(string value, int bytes = 8) => Convert.ToHexStringLower(Of(value).AsSpan(0, Math.Clamp(bytes, 1, 32)));
}
