namespace OAuthAspire.Contracts.Audit;

/// <summary>An OAuth application was registered; ClientVersion is its version (scope-policy and federation-trust settle which clients use what from it).</summary>
public sealed record ClientCreated(string ClientId, string Name, bool Public, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes,
    IReadOnlyList<string> AllowedOrigins, IReadOnlyList<string> Trusts, long ClientVersion) : AuditEvent;

/// <summary>An OAuth application was changed; caches of it must be dropped. ClientVersion is its version after the change.</summary>
public sealed record ClientUpdated(string ClientId, string Name, bool Active, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes,
    IReadOnlyList<string> AllowedOrigins, IReadOnlyList<string> Trusts, long ClientVersion) : AuditEvent;

/// <summary>An OAuth application was deleted; its tokens stop working. ClientVersion is its last version.</summary>
public sealed record ClientDeleted(string ClientId, long ClientVersion) : AuditEvent;

/// <summary>A client secret was replaced; the old one stopped working.</summary>
public sealed record ClientSecretRotated(string ClientId) : AuditEvent;
