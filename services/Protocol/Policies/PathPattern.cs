namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// Resource patterns: literal segments, <c>*</c> for exactly one segment, and a final <c>**</c>
/// for any number of further segments (none included).
/// </summary>
public static class PathPattern
{
    public static bool Matches(string pattern, string path)
    {
        var p = pattern.Split('/');
        var s = path.Split('/');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == "**")
            {
                return true;
            }

            // Case-insensitive like the routers behind the edge, so a change of case cannot dodge a rule.
            if (i >= s.Length || (p[i] != "*" && !string.Equals(p[i], s[i], StringComparison.OrdinalIgnoreCase)) || (p[i] == "*" && s[i].Length == 0))
            {
                return false;
            }
        }

        return p.Length == s.Length;
    }

    public static string? Problem(string? pattern)
    {
        if (pattern is null || !pattern.StartsWith("/api/", StringComparison.Ordinal) || pattern.Length > 512)
        {
            return "must be a path under /api/";
        }

        var segments = pattern.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment == "**" && i != segments.Length - 1)
            {
                return "** may only end a pattern";
            }

            if (segment.Length == 0 || segment is "." or ".." || (segment.Contains('*') && segment is not ("*" or "**")) || segment.Contains('%'))
            {
                return "segments are literal names, * or a final **; no empty, dot or encoded segments";
            }
        }

        return null;
    }
}
