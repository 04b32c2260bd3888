namespace OAuthAspire.Contracts.Audit;

/// <summary>An OAuth scope was created.</summary>
public sealed record ScopeCreated(string Name, string Description) : AuditEvent;
