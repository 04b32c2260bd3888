namespace OAuthAspire.Contracts.Audit;

/// <summary>A call to the admin API was refused (no valid token, or no admin scope and role).</summary>
public sealed record AdminAccessRefused(string Method, string Path, int Status) : AuditEvent;

/// <summary>The edge refused an API call for lack of scope (403 insufficient_scope).</summary>
public sealed record ApiAccessDenied(string Method, string Path, IReadOnlyList<string> RequiredScopes, string? Policy) : AuditEvent;

/// <summary>A caller went over a rate limit (Limit names which; Key is the client id or address it counts, or for the login limit a keyed hash of the typed user name, never the name). Recorded once per key and window, not per refused request.</summary>
public sealed record RateLimited(string Limit, string Key, string Method, string Path) : AuditEvent
{
    /// <summary>Free text a caller chose (a typed user name, a client id): nothing credential-shaped is kept.</summary>
    public string Key { get; init; } = AuditText.Scrub(Key)!;
}

/// <summary>
/// The same refusal (<paramref name="EventType"/>, same fields, reason, actor and address) came
/// <paramref name="Count"/> more times between <paramref name="From"/> and <paramref name="To"/>
/// after the one written: repeats are counted, not written one by one, so a flood cannot push real
/// history out of the stream. Written by whichever service refused.
/// </summary>
public sealed record RefusalsRepeated(string EventType, int Count, DateTimeOffset From, DateTimeOffset To) : AuditEvent;
