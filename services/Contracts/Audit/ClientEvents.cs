namespace OAuthAspire.Contracts.Audit;

/// <summary>An OAuth application was registered.</summary>
public sealed record ClientCreated(string ClientId, string Name, bool Public, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes,
    IReadOnlyList<string> AllowedOrigins) : AuditEvent;

/// <summary>An OAuth application was changed; caches of it must be dropped.</summary>
public sealed record ClientUpdated(string ClientId, string Name, bool Active, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes,
    IReadOnlyList<string> AllowedOrigins) : AuditEvent;

/// <summary>An OAuth application was deleted; its tokens stop working.</summary>
public sealed record ClientDeleted(string ClientId) : AuditEvent;

/// <summary>A client secret was replaced; the old one stopped working.</summary>
public sealed record ClientSecretRotated(string ClientId) : AuditEvent;
