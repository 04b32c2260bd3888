namespace OAuthAspire.Contracts.Audit;

/// <summary>An OAuth scope was created.</summary>
public sealed record ScopeCreated(string Name, string Description) : AuditEvent;

/// <summary>An OAuth scope was changed (description, or activated / deactivated).</summary>
public sealed record ScopeUpdated(string Name, string Description, bool Active) : AuditEvent;

/// <summary>An OAuth scope was deleted.</summary>
public sealed record ScopeDeleted(string Name) : AuditEvent;

/// <summary>
/// An API access policy was created; <paramref name="Rules"/> is the rule count, <paramref name="Resource"/> the
/// audience of its tokens (RFC 8707), <paramref name="AcceptDefaultAudience"/> whether default-audience tokens are good there too.
/// </summary>
public sealed record ApiPolicyCreated(string Name, string BasePath, int Rules, string? Resource = null, bool AcceptDefaultAudience = false) : AuditEvent;

/// <summary>An API access policy was changed; Rules is the new rule count, Resource and AcceptDefaultAudience as when created.</summary>
public sealed record ApiPolicyUpdated(string Name, string BasePath, int Rules, string? Resource = null, bool AcceptDefaultAudience = false) : AuditEvent;

/// <summary>An API access policy was deleted; the API is open to any valid token again.</summary>
public sealed record ApiPolicyDeleted(string Name, string BasePath) : AuditEvent;
