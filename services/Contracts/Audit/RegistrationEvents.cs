namespace OAuthAspire.Contracts.Audit;

/// <summary>A client registered itself (RFC 7591) under <paramref name="Policy"/>, with an initial access token or openly, and with a software statement of <paramref name="StatementIssuer"/> if any (verified); written beside its <c>ClientCreated</c>.</summary>
public sealed record ClientRegistered(string ClientId, string Policy, string? InitialAccessTokenId, string? SoftwareId, string? StatementIssuer = null) : AuditEvent;

/// <summary>A registration was refused (<paramref name="Error"/> of RFC 7591 §3.2.2, or <c>invalid_token</c>); <paramref name="Field"/> names what was at fault.</summary>
public sealed record ClientRegistrationRefused(string Error, string? Field, string? Policy) : AuditEvent;

/// <summary>A self-registered client read, replaced or deleted its registration (RFC 7592) with its registration access token.</summary>
public sealed record ClientRegistrationManaged(string ClientId, string Method) : AuditEvent;

/// <summary>A call to a registration's management endpoint was refused: unknown client or wrong registration access token.</summary>
public sealed record RegistrationManagementRefused(string? ClientId, string Method) : AuditEvent;

/// <summary>A registration policy was created or replaced.</summary>
public sealed record RegistrationPolicySaved(string Name, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes, long PolicyVersion,
    int? UnusedExpiryDays = null, string? SoftwareStatementIssuer = null, bool SoftwareStatementRequired = false) : AuditEvent;

public sealed record RegistrationPolicyDeleted(string Name) : AuditEvent;

/// <summary>An initial access token was handed out (identified by its id, never the token).</summary>
public sealed record InitialAccessTokenCreated(string TokenId, string Policy, int? MaxUses, DateTimeOffset ExpiresAt) : AuditEvent;

public sealed record InitialAccessTokenRevoked(string TokenId) : AuditEvent;

/// <summary>A self-registered client got its first token at <paramref name="FirstUsedAt"/>; the registry then never expires it as unused. Sent again now and then while it is used (each replica's first token for it, then twice a day).</summary>
public sealed record ClientFirstUsed(string ClientId, DateTimeOffset FirstUsedAt) : AuditEvent;

/// <summary>A self-registered client never used was deleted <paramref name="UnusedDays"/> days after it registered, as its policy says; its <c>ClientDeleted</c> follows.</summary>
public sealed record UnusedClientExpired(string ClientId, string Policy, int UnusedDays) : AuditEvent;

/// <summary>A client's metadata document (its client_id is the URL) was fetched and stored, new or <paramref name="Changed"/>.</summary>
public sealed record ClientMetadataDocumentFetched(string ClientId, string Policy, bool Changed) : AuditEvent;

/// <summary>A client_id URL's metadata document could not be fetched or was refused (<paramref name="Error"/> and <paramref name="Field"/> as for registrations); the request it came with stopped.</summary>
public sealed record ClientMetadataDocumentRefused(string ClientId, string Error, string? Field) : AuditEvent;
