namespace OAuthAspire.Protocol.Requests;

/// <summary>The outcome of reading an <c>Authorization: Bearer</c> header (RFC 6750 §2.1).</summary>
public enum BearerHeader
{
    /// <summary>No bearer credentials: answer 401 with a bare challenge.</summary>
    Missing,
    /// <summary>A syntactically valid b64token.</summary>
    Present,
    /// <summary>Bearer scheme with a missing or malformed token: 400 invalid_request.</summary>
    Malformed,
}

public static class BearerToken
{
    public const int MaxLength = 16 * 1024;

    /// <param name="authorization">Every Authorization header value sent.</param>
    public static BearerHeader Read(IReadOnlyList<string?> authorization, out string token)
    {
        token = "";
        var bearer = authorization.Where(v => v is not null && v.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (bearer.Length == 0)
        {
            return BearerHeader.Missing;
        }

        if (bearer.Length > 1 || authorization.Count > 1)
        {
            return BearerHeader.Malformed;
        }

        var value = bearer[0]!;
        if (value.Length < 8 || value[6] != ' ')
        {
            return BearerHeader.Malformed;
        }

        var candidate = value[7..];
        if (candidate.Length is 0 or > MaxLength || !IsB64Token(candidate))
        {
            return BearerHeader.Malformed;
        }

        token = candidate;
        return BearerHeader.Present;
    }

    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    // Shared with the DPoP scheme (RFC 9449 §7.1 uses the same token68 grammar).
    internal static bool IsB64Token(string value)
    {
        var i = 0;
        for (; i < value.Length; i++)
        {
            var c = value[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
            {
                break;
            }
        }

        if (i == 0)
        {
            return false;
        }

        for (; i < value.Length; i++)
        {
            if (value[i] != '=')
            {
                return false;
            }
        }

        return true;
    }
}
