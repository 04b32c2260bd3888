using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Mtls;

/// <summary>The names and small rules of OAuth 2.0 mutual TLS (RFC 8705), written once.</summary>
public static class MtlsProtocol
{
    /// <summary>Client authentication by a certificate from a trusted CA, matched on one subject value (§2.1).</summary>
    public const string TlsClientAuth = "tls_client_auth";

    /// <summary>Client authentication by a self-signed certificate registered with the client (§2.2).</summary>
    public const string SelfSignedTlsClientAuth = "self_signed_tls_client_auth";

    /// <summary>
    /// The <c>x5t#S256</c> confirmation value of a certificate-bound token (§3.1): base64url, unpadded,
    /// of the SHA-256 of the certificate's DER. Hashing the whole certificate, not the key, means a
    /// re-issued certificate with the same key does not carry old tokens along.
    /// </summary>
    public static string Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Thumbprint(certificate.RawDataMemory.Span);
    }

    /// <summary>The <c>x5t#S256</c> of a certificate's DER encoding.</summary>
    public static string Thumbprint(ReadOnlySpan<byte> der) => Base64UrlEncoder.Encode(SHA256.HashData(der));

    /// <summary>
    /// A resource server's check of a token's certificate binding (§3.2): why it fails, for an
    /// <c>invalid_token</c> refusal; null when the token is not certificate-bound or the certificate is its own.
    /// </summary>
    public static string? Unproven(string? cnfX5tS256, X509Certificate2? presented) =>
        cnfX5tS256 is null || Matches(cnfX5tS256, presented) ? null
        : presented is null ? "The access token is bound to a client certificate: call over mutual TLS with it."
        : "The access token is bound to another client certificate than this connection's.";

    /// <summary>
    /// Whether the certificate presented on this connection is the one a token is bound to (§3.2).
    /// False when either is missing: a bound token without its certificate is refused, never downgraded.
    /// </summary>
    public static bool Matches(string? cnfX5tS256, X509Certificate2? presented)
    {
        if (string.IsNullOrEmpty(cnfX5tS256) || presented is null)
        {
            return false;
        }

        // Constant time out of habit: neither value is secret (the token is signed, the certificate public).
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(cnfX5tS256), Encoding.UTF8.GetBytes(Thumbprint(presented)));
    }
}
