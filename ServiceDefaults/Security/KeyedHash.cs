using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// HMAC-SHA256 under a key derived (HKDF) for one purpose from a secret only the services that
/// need it hold (<c>AuditHash:Key</c>: the edge and the directory service). Identifies what a caller
/// typed as a user name (often a password typed in the wrong field) without storing or publishing
/// it, and without a dictionary of common passwords finding it again: only holders of the key can
/// compute it.
/// </summary>
public sealed class KeyedHash
{
    /// <summary>The configuration key of the secret (an AppHost secret parameter).</summary>
    public const string ConfigKey = "AuditHash:Key";

    /// <summary>The directory service's failed-sign-in counters (<c>login_failure.name_key</c>).</summary>
    public const string LoginFailurePurpose = "oauthaspire/login-failure/v1";

    /// <summary>The edge's <c>RateLimited</c> audit events for the per-user login limit.</summary>
    public const string RateLimitedUserPurpose = "oauthaspire/rate-limited-user/v1";

    private const int MinKeyLength = 32;

    private readonly byte[] _key;

    /// <exception cref="InvalidOperationException">The key is missing or shorter than 32 characters.</exception>
    public KeyedHash(string? key, string purpose)
    {
        if (string.IsNullOrEmpty(key) || key.Length < MinKeyLength)
        {
            throw new InvalidOperationException($"{ConfigKey} must be set (at least {MinKeyLength} characters) to hash for {purpose}.");
        }

        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(key), 32, info: Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>The hash for <paramref name="purpose"/> under the configured <see cref="ConfigKey"/>.</summary>
    public static KeyedHash FromConfiguration(IConfiguration configuration, string purpose) => new(configuration[ConfigKey], purpose);

    public byte[] Of(string value) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(value));

    /// <summary>The first <paramref name="bytes"/> bytes, as lowercase hex: enough to tell values apart in an audit trail.</summary>
    public string HexOf(string value, int bytes = 8) => Convert.ToHexStringLower(Of(value).AsSpan(0, Math.Clamp(bytes, 1, 32)));
}
