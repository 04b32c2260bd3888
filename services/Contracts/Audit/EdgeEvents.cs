namespace OAuthAspire.Contracts.Audit;

/// <summary>A call to the admin API was refused (no valid token, or no admin scope and role).</summary>
public sealed record AdminAccessRefused(string Method, string Path, int Status) : AuditEvent;

/// <summary>The edge refused an API call for lack of scope (403 insufficient_scope).</summary>
public sealed record ApiAccessDenied(string Method, string Path, IReadOnlyList<string> RequiredScopes, string? Policy) : AuditEvent;
