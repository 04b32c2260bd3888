namespace OAuthAspire.Contracts.Audit;

/// <summary>An OAuth scope was created.</summary>
public sealed record ScopeCreated(string Name, string Description) : AuditEvent;

public sealed record ScopeUpdated(string Name, string Description, bool Active) : AuditEvent;

public sealed record ScopeDeleted(string Name) : AuditEvent;

/// <summary>An API access policy was created; <paramref name="Rules"/> is the rule count.</summary>
public sealed record ApiPolicyCreated(string Name, string BasePath, int Rules) : AuditEvent;

public sealed record ApiPolicyUpdated(string Name, string BasePath, int Rules) : AuditEvent;

public sealed record ApiPolicyDeleted(string Name, string BasePath) : AuditEvent;
