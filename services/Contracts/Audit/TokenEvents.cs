namespace OAuthAspire.Contracts.Audit;

/// <summary>A token was issued. Identifies it by <c>jti</c>; never carries the token.</summary>
public sealed record TokenIssued(
    string ClientId, string GrantType, string Subject, IReadOnlyList<string> Scopes, string Jti, DateTimeOffset ExpiresAt) : AuditEvent;

/// <summary>A token request was refused with an OAuth error; <see cref="AuditEvent.Reason"/> says why.</summary>
public sealed record TokenRequestRefused(string? ClientId, string? GrantType, string Error) : AuditEvent;

/// <summary>A token was revoked (RFC 7009); the edge refuses it from now on.</summary>
public sealed record TokenRevoked(string Jti, string ClientId, string TokenType, DateTimeOffset ExpiresAt) : AuditEvent;

/// <summary>A new signing key was published; it signs from <paramref name="ActivatesAt"/>.</summary>
public sealed record SigningKeyRotated(string Kid, string Algorithm, DateTimeOffset ActivatesAt, string? PreviousKid) : AuditEvent;

/// <summary>An authorization code was issued (identified by a prefix of its hash, never the code).</summary>
public sealed record CodeIssued(string ClientId, string UserSysId, IReadOnlyList<string> Scopes, string CodeId) : AuditEvent;

public sealed record CodeRedeemed(string ClientId, string UserSysId, string CodeId, string Jti) : AuditEvent;

/// <summary>A used code was presented again: everything its first use issued has been revoked.</summary>
public sealed record CodeReplayDetected(string ClientId, string CodeId, IReadOnlyList<string> RevokedJtis) : AuditEvent;

/// <summary>The legacy implicit flow was used (tokens in the browser's URL fragment or a form post).</summary>
public sealed record ImplicitFlowUsed(string ClientId, string UserSysId, string ResponseType, string Jti) : AuditEvent;
