namespace OAuthAspire.Contracts.Audit;

/// <summary>A user was created.</summary>
public sealed record UserCreated(string UserSysId, string UserName, IReadOnlyList<string> Roles, bool Active) : AuditEvent;

/// <summary>A user was changed (roles, activation, password: only whether it changed). A changed password ends their sign-in sessions and refresh tokens.</summary>
public sealed record UserUpdated(string UserSysId, string UserName, IReadOnlyList<string> Roles, bool Active, bool PasswordChanged) : AuditEvent;

/// <summary>A user was deleted; their refresh tokens end.</summary>
public sealed record UserDeleted(string UserSysId, string UserName) : AuditEvent;
