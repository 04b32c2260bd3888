namespace OAuthAspire.Contracts.Audit;

/// <summary>A user signed in (password checked). Never carries the password.</summary>
public sealed record LoginSucceeded(string UserSysId, string UserName, string? ClientId) : AuditEvent;

/// <summary>A sign-in failed; the user is named only when the account exists.</summary>
public sealed record LoginFailed(string? UserSysId, string? UserName, string? ClientId) : AuditEvent;

/// <summary>An account reached the failed-password limit and is locked until <paramref name="LockedUntil"/>.</summary>
public sealed record AccountLocked(string UserSysId, string UserName, DateTimeOffset LockedUntil) : AuditEvent;

/// <summary>A user approved a client's scopes; Remembered when the approval is kept for next time.</summary>
public sealed record ConsentGranted(string UserSysId, string UserName, string ClientId, IReadOnlyList<string> Scopes, bool Remembered) : AuditEvent;

/// <summary>A user's consent to a client was withdrawn; the client's refresh tokens for that user end.</summary>
public sealed record ConsentRevoked(string UserSysId, string UserName, string ClientId) : AuditEvent;

/// <summary>An authorization request was refused (bad request, denial, prompt=none that needs interaction), at the authorization endpoint or when pushed (RFC 9126).</summary>
public sealed record AuthorizationRequestRefused(string? ClientId, string? RedirectUri, string Error) : AuditEvent;

/// <summary>A sign-in session ended: the user logged out, or an administrator changed their password (Reason <c>password changed</c>).</summary>
public sealed record SessionEnded(string UserSysId, string UserName, string? ClientId, string SessionId) : AuditEvent;
