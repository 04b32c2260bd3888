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
