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

/// <summary>The outcome of deciding which scopes a request receives.</summary>
public sealed record ScopeDecision(bool Granted, IReadOnlyList<string> Scopes, IReadOnlyList<string> Refused)
{
    /// <summary>
    /// Every requested scope must be allowed (and active); none requested means the defaults
    /// that are allowed. A request for anything else is refused whole, never silently narrowed.
    /// </summary>
    public static ScopeDecision Decide(IEnumerable<string> requested, IEnumerable<string> allowed, IEnumerable<string> defaults,
        IReadOnlySet<string>? active = null)
    {
        var allowedSet = allowed.Where(s => active is null || active.Contains(s)).ToHashSet(StringComparer.Ordinal);
        var requestedList = ScopeSet.Normalize(requested);
        if (requestedList.Count == 0)
        {
            return new ScopeDecision(true, ScopeSet.Normalize(defaults.Where(allowedSet.Contains)), []);
        }

        var refused = requestedList.Where(s => !allowedSet.Contains(s)).ToArray();
        return refused.Length == 0
            ? new ScopeDecision(true, requestedList, [])
            : new ScopeDecision(false, [], refused);
    }

    /// <summary>
    /// A refresh may ask for fewer scopes than the original grant, never more (RFC 6749 §6); none
    /// requested means the original grant.
    /// </summary>
    public static ScopeDecision Narrow(IReadOnlyList<string> requested, IReadOnlyCollection<string> granted)
    {
        if (requested.Count == 0)
        {
            return new ScopeDecision(true, ScopeSet.Normalize(granted), []);
        }

        var refused = requested.Where(s => !granted.Contains(s)).ToArray();
        return refused.Length == 0 ? new ScopeDecision(true, ScopeSet.Normalize(requested), []) : new ScopeDecision(false, [], refused);
    }
}
