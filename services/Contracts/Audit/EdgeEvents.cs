namespace OAuthAspire.Contracts.Audit;

/// <summary>A call to the admin API was refused (no valid token, or no admin scope and role).</summary>
public sealed record AdminAccessRefused(string Method, string Path, int Status) : AuditEvent;
