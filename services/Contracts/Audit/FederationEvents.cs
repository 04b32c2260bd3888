namespace OAuthAspire.Contracts.Audit;

/// <summary>A trusted external identity provider was registered.</summary>
public sealed record TrustCreated(string Name, string Issuer, string Template, IReadOnlyList<string> Scopes, bool AllowPrivilegedUsers = false) : AuditEvent;

/// <summary>A trusted identity provider was changed.</summary>
public sealed record TrustUpdated(string Name, string Issuer, bool Active, IReadOnlyList<string> Scopes, bool AllowPrivilegedUsers = false) : AuditEvent;

/// <summary>A trusted identity provider was removed; its tokens are refused from now on.</summary>
public sealed record TrustDeleted(string Name, string Issuer) : AuditEvent;

/// <summary>A trusted provider's token was accepted for the first time (once per token), mapped to a local user.</summary>
public sealed record ExternalTokenAccepted(string Trust, string Issuer, string UserSysId, string UserName, DateTimeOffset ExpiresAt) : AuditEvent;

/// <summary>An external token was refused; <see cref="AuditEvent.Reason"/> says which check failed.</summary>
public sealed record ExternalTokenRefused(string? Trust, string? Issuer, string? ClientId) : AuditEvent;

/// <summary>A provider's subject (iss, sub) was linked to the local user its mutable claim named: its later tokens map to that user whatever the claim says.</summary>
public sealed record ExternalSubjectLinked(string Trust, string Issuer, string Subject, string UserSysId, string UserName) : AuditEvent;

/// <summary>An administrator removed a provider subject's link to a local user: the subject's next token is mapped by its claim again.</summary>
public sealed record ExternalSubjectUnlinked(string Trust, string Issuer, string Subject, string UserSysId) : AuditEvent;

/// <summary>A trust with automatic user creation created a local user for an unknown external subject.</summary>
public sealed record UserAutoCreated(string Trust, string UserSysId, string UserName) : AuditEvent;

/// <summary>A client exchanged a trusted provider's token for one of ours (RFC 8693).</summary>
public sealed record TokenExchanged(string ClientId, string Trust, string UserSysId, string Jti, string SubjectTokenType, IReadOnlyList<string> Scopes) : AuditEvent;

/// <summary>A user signed in through a trusted provider (identity brokering): the provider's ID token checked and mapped to this local user.</summary>
public sealed record FederatedSignIn(string Trust, string Issuer, string UserSysId, string UserName, string? ClientId) : AuditEvent;

/// <summary>A sign-in through a trusted provider was refused; <see cref="AuditEvent.Reason"/> says which check failed (or the provider's error).</summary>
public sealed record FederatedSignInRefused(string Trust, string? ClientId) : AuditEvent;
