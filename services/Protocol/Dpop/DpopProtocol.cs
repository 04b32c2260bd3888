using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Dpop;

/// <summary>The names and small rules of DPoP (RFC 9449), written once.</summary>
public static class DpopProtocol
{
    /// <summary>The Authorization scheme of a DPoP-bound access token (§7.1).</summary>
    public const string Scheme = "DPoP";

    /// <summary>The request header carrying the proof (§4.1).</summary>
    public const string ProofHeader = "DPoP";

    /// <summary>The response header carrying a server nonce (§8, §9).</summary>
    public const string NonceHeader = "DPoP-Nonce";

    /// <summary>The <c>typ</c> of a proof JWT (§4.2): no other JWT can pass as a proof.</summary>
    public const string ProofType = "dpop+jwt";

    /// <summary>The <c>token_type</c> of a DPoP-bound access token (§5).</summary>
    public const string TokenType = "DPoP";

    /// <summary>
    /// The proof algorithms accepted, advertised as <c>dpop_signing_alg_values_supported</c> (§5.1).
    /// Asymmetric only: a proof shows possession of a private key (§4.2), so <c>none</c> and HMAC never pass.
    /// </summary>
    public static readonly string[] Algorithms = ["ES256", "ES384", "PS256", "RS256"];

    /// <summary>The <c>ath</c> claim of a proof sent with <paramref name="accessToken"/>: base64url(SHA-256(ASCII)) (§4.2).</summary>
    public static string AccessTokenHash(string accessToken) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>
    /// An <c>htu</c> in the form compared (§4.3): scheme and host lower case, default port dropped,
    /// dot segments resolved, query and fragment ignored. Null when not an absolute http(s) URI.
    /// </summary>
    public static string? NormalizeUri(string? uri)
    {
        if (string.IsNullOrEmpty(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            return null;
        }

        // Port is left out when it is the scheme's default; user info is never part of the result.
        return parsed.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
    }
}
