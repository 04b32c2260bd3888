using OAuthAspire.Protocol.Errors;

namespace OAuthAspire.Protocol.Dpop;

/// <summary>
/// The <c>WWW-Authenticate</c> values for the DPoP scheme (RFC 9449 §7.1), each naming the accepted
/// proof algorithms so a client knows what to sign with. Descriptions and scopes go in quoted strings
/// unescaped: callers pass only fixed text and scope names (no quote).
/// </summary>
public static class DpopChallenge
{
    private static readonly string Algs = $"algs=\"{string.Join(' ', DpopProtocol.Algorithms)}\"";

    /// <summary>No DPoP credentials: the scheme and its algorithms, no error code.</summary>
    public static readonly string Missing = $"{DpopProtocol.Scheme} {Algs}";

    /// <summary>A malformed Authorization header (400).</summary>
    public static readonly string InvalidRequest = $"{DpopProtocol.Scheme} error=\"{OAuthErrorCodes.InvalidRequest}\", {Algs}";

    /// <summary>A token that is not valid here (401), with why.</summary>
    public static string InvalidToken(string description) => WithError(OAuthErrorCodes.InvalidToken, description);

    /// <summary>A proof that fails RFC 9449 §4.3 (401).</summary>
    public static string InvalidProof(string description) => WithError(OAuthErrorCodes.InvalidDpopProof, description);

    /// <summary>A proof without the current server nonce (401, with a DPoP-Nonce header; §9).</summary>
    public static string UseNonce(string description) => WithError(OAuthErrorCodes.UseDpopNonce, description);

    /// <summary>
    /// A challenge written for the Bearer scheme (<see cref="Requests.BearerChallenge"/>: insufficient_scope
    /// and its scopes, say) as a caller with a DPoP-bound token is answered: the same error and parameters
    /// in the DPoP scheme, with the algorithms.
    /// </summary>
    public static string FromBearer(string bearerChallenge)
    {
        const string bearer = "Bearer";
        if (!bearerChallenge.StartsWith(bearer, StringComparison.Ordinal))
        {
            return bearerChallenge;
        }

        return bearerChallenge.Length == bearer.Length ? Missing : $"{DpopProtocol.Scheme}{bearerChallenge[bearer.Length..]}, {Algs}";
    }

    private static string WithError(string error, string description) =>
        $"{DpopProtocol.Scheme} error=\"{error}\", error_description=\"{description}\", {Algs}";
}
