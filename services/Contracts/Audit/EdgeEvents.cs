namespace OAuthAspire.Contracts.Audit;

/// <summary>A call to the admin API was refused (no valid token, or no admin scope and role).</summary>
public sealed record AdminAccessRefused(string Method, string Path, int Status) : AuditEvent;

/// <summary>The edge refused an API call for lack of scope (403 insufficient_scope).</summary>
public sealed record ApiAccessDenied(string Method, string Path, IReadOnlyList<string> RequiredScopes, string? Policy) : AuditEvent;

/// <summary>A caller went over a rate limit (Limit names which; Key is the client id, user name or address it counts). Recorded once per key and window, not per refused request.</summary>
public sealed record RateLimited(string Limit, string Key, string Method, string Path) : AuditEvent;
