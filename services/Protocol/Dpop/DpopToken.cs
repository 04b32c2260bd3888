using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Dpop;

/// <summary>The outcome of reading an Authorization header that may carry either token scheme.</summary>
public enum AuthorizationScheme
{
    /// <summary>Neither Bearer nor DPoP credentials: answer 401 with bare challenges.</summary>
    Missing,
    /// <summary><c>Authorization: Bearer</c> with a valid b64token (RFC 6750 §2.1).</summary>
    Bearer,
    /// <summary><c>Authorization: DPoP</c> with a valid b64token (RFC 9449 §7.1).</summary>
    DPoP,
    /// <summary>Bearer or DPoP with a missing or malformed token, or more than one header: 400 invalid_request.</summary>
    Malformed,
}

/// <summary>Reads the access token of the Bearer or DPoP scheme, by the same grammar and limit as <see cref="BearerToken"/>.</summary>
public static class DpopToken
{
    private const string BearerName = "Bearer";

    /// <param name="authorization">Every Authorization header value sent.</param>
    public static AuthorizationScheme Read(IReadOnlyList<string?> authorization, out string token)
    {
        token = "";
        var ours = authorization.Where(v => SchemeOf(v) != AuthorizationScheme.Missing).ToArray();
        if (ours.Length == 0)
        {
            return AuthorizationScheme.Missing;
        }

        if (authorization.Count > 1)
        {
            return AuthorizationScheme.Malformed;
        }

        var value = ours[0]!;
        var scheme = SchemeOf(value);
        var nameLength = scheme == AuthorizationScheme.Bearer ? BearerName.Length : DpopProtocol.Scheme.Length;

        // Scheme, one space, then the token (RFC 9110 §11.4).
        if (value.Length < nameLength + 2 || value[nameLength] != ' ')
        {
            return AuthorizationScheme.Malformed;
        }

        var candidate = value[(nameLength + 1)..];
        if (candidate.Length > BearerToken.MaxLength || !BearerToken.IsB64Token(candidate))
        {
            return AuthorizationScheme.Malformed;
        }

        token = candidate;
        return scheme;
    }

    // Scheme names are case-insensitive (RFC 9110 §11.1).
    private static AuthorizationScheme SchemeOf(string? value) =>
        value is null ? AuthorizationScheme.Missing
        : value.StartsWith(BearerName, StringComparison.OrdinalIgnoreCase) ? AuthorizationScheme.Bearer
        : value.StartsWith(DpopProtocol.Scheme, StringComparison.OrdinalIgnoreCase) ? AuthorizationScheme.DPoP
        : AuthorizationScheme.Missing;
}
