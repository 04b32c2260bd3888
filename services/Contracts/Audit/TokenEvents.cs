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

/// <summary>
/// A signing key was withdrawn (compromised): gone from the JWKS at once, every token it signed
/// refused from now on; <paramref name="ReplacementKid"/> signs instead when it was in service.
/// </summary>
public sealed record SigningKeyRevoked(string Kid, string Algorithm, string? ReplacementKid) : AuditEvent;

/// <summary>
/// Access was withdrawn from a user (deactivated, deleted, a role taken away) or a client
/// (deactivated, deleted), or an administrator revoked everything they held: every token naming them (<paramref name="SubjectKind"/> <c>user</c> or
/// <c>client</c>) issued at or before <paramref name="IssuedBefore"/> is refused from now on.
/// </summary>
public sealed record TokensCutOff(string SubjectKind, string SubjectId, DateTimeOffset IssuedBefore) : AuditEvent;

/// <summary>
/// An administrator revoked everything a user or a client (<paramref name="SubjectKind"/>) held: the
/// live access tokens counted (refused from now on by a <see cref="TokensCutOff"/>) and the refresh
/// families ended.
/// </summary>
public sealed record TokensRevokedInBulk(string SubjectKind, string SubjectId, int AccessTokens, int RefreshFamilies) : AuditEvent;

/// <summary>An authorization code was issued (identified by a prefix of its hash, never the code).</summary>
public sealed record CodeIssued(string ClientId, string UserSysId, IReadOnlyList<string> Scopes, string CodeId) : AuditEvent;

/// <summary>An authorization code was exchanged for tokens; Jti is the access token issued.</summary>
public sealed record CodeRedeemed(string ClientId, string UserSysId, string CodeId, string Jti) : AuditEvent;

/// <summary>A used code was presented again: everything its first use issued has been revoked.</summary>
public sealed record CodeReplayDetected(string ClientId, string CodeId, IReadOnlyList<string> RevokedJtis) : AuditEvent;

/// <summary>The legacy implicit flow was used (tokens in the browser's URL fragment or a form post).</summary>
public sealed record ImplicitFlowUsed(string ClientId, string UserSysId, string ResponseType, string Jti) : AuditEvent;

/// <summary>
/// A refresh token was used and replaced by a new one of the same family; for a FAPI 2.0 client, whose
/// refresh tokens do not rotate, used and kept (Reason says so).
/// </summary>
public sealed record RefreshTokenRotated(string ClientId, string UserSysId, Guid FamilyId, string Jti) : AuditEvent;

/// <summary>A concurrent refresh with the same token lost the race (within the grace window): refused, nothing revoked.</summary>
public sealed record RefreshRaceLost(string ClientId, Guid FamilyId) : AuditEvent;

/// <summary>A rotated refresh token was presented again: the family and its access tokens are revoked.</summary>
public sealed record RefreshTokenReuseDetected(string ClientId, string UserSysId, Guid FamilyId, IReadOnlyList<string> RevokedJtis) : AuditEvent;

/// <summary>A refresh token family was revoked (revocation request, consent withdrawn, user deleted).</summary>
public sealed record RefreshFamilyRevoked(string ClientId, string UserSysId, Guid FamilyId) : AuditEvent;

/// <summary>The resource owner password grant failed (same answer whatever the reason; the reason is here).</summary>
public sealed record PasswordGrantFailed(string ClientId, string? UserSysId) : AuditEvent;

/// <summary>A JWT bearer assertion was refused; <see cref="AuditEvent.Reason"/> says which check failed.</summary>
public sealed record JwtAssertionRefused(string ClientId, string? Subject) : AuditEvent;

/// <summary>A token was issued on a JWT bearer assertion (RFC 7523).</summary>
public sealed record JwtBearerTokenIssued(string ClientId, string Subject, string Jti) : AuditEvent;

/// <summary>A client assertion (private_key_jwt) failed to authenticate its client.</summary>
public sealed record ClientAssertionRefused(string? ClientId) : AuditEvent;
