namespace OAuthAspire.Protocol.Scopes;

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
