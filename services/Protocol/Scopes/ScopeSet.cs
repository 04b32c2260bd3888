namespace OAuthAspire.Protocol.Scopes;

/// <summary>
/// Scope values (RFC 6749 §3.3): space-delimited, case-sensitive scope-tokens made of
/// %x21 / %x23-5B / %x5D-7E. Kept sorted and unique so equal sets compare and print equal.
/// </summary>
public static class ScopeSet
{
    public const int MaxLength = 128;

    public static bool IsValidToken(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a <c>scope</c> parameter; false when any token is malformed.</summary>
    public static bool TryParse(string? value, out IReadOnlyList<string> scopes)
    {
        scopes = [];
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        // Exactly one space between tokens; tabs, newlines and other separators are not allowed.
        var parts = value.Split(' ');
        if (parts.Any(p => !IsValidToken(p)))
        {
            return false;
        }

        scopes = Normalize(parts);
        return true;
    }

    public static IReadOnlyList<string> Normalize(IEnumerable<string> scopes) =>
        scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public static string Format(IEnumerable<string> scopes) => string.Join(' ', Normalize(scopes));
}
