using System.Text;

namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// Canonicalises a request path once, the same for matching and for forwarding: percent-decoded
/// exactly once, and refused when any form could be read two ways by the gateway and the API
/// behind it (encoded slash or backslash, dot segments, empty segments, double encoding, NUL and
/// control characters, path parameters, invalid UTF-8). So <c>/api/now/table/%69ncident</c> is
/// <c>/api/now/table/incident</c> for the policy and for the API alike. A trailing slash is
/// dropped (<c>/api/now/table/sys_user/</c> is <c>/api/now/table/sys_user</c>), as ASP.NET Core
/// routing ignores it: the policy must see the path the API will route, and the API gets that path.
/// </summary>
public static class ApiPath
{
    public const int MaxLength = 2048;

    /// <returns>The canonical path, or null (with why) when the raw path is ambiguous.</returns>
    public static string? Canonicalize(string rawPath, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(rawPath) || rawPath[0] != '/' || rawPath.Length > MaxLength)
        {
            problem = "the path must start with / and be at most 2048 characters";
            return null;
        }

        var bytes = new List<byte>(rawPath.Length);
        for (var i = 0; i < rawPath.Length; i++)
        {
            var c = rawPath[i];
            if (c == '%')
            {
                if (i + 2 >= rawPath.Length || !IsHex(rawPath[i + 1]) || !IsHex(rawPath[i + 2]))
                {
                    problem = "malformed percent-encoding";
                    return null;
                }

                var b = (byte)Convert.ToInt32(rawPath.Substring(i + 1, 2), 16);
                if (b is (byte)'/' or (byte)'\\' or (byte)'%' or (byte)';' or (byte)'?' or (byte)'#' || b < 0x20 || b == 0x7F)
                {
                    problem = "an encoded slash, backslash, percent, separator or control character";
                    return null;
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c > 0x7E || c < 0x20 || c is '\\' or ';')
            {
                problem = "a backslash, semicolon, control or non-ASCII character in the raw path";
                return null;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        string path;
        try
        {
            path = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            problem = "invalid UTF-8";
            return null;
        }

        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0 && i < segments.Length - 1)
            {
                problem = "an empty segment (//)";
                return null;
            }

            if (segment is "." or "..")
            {
                problem = "a dot segment";
                return null;
            }
        }

        return path.Length > 1 && path.EndsWith('/') ? path[..^1] : path;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is <paramref name="prefix"/> or below it, segment-wise.
    /// Case-insensitive, as ASP.NET Core and YARP route: <c>/API/now</c> reaches the same API.
    /// </summary>
    public static bool IsUnder(string path, string prefix) =>
        path.Equals(prefix, StringComparison.OrdinalIgnoreCase)
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (prefix.EndsWith('/') || path[prefix.Length] == '/'));

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
