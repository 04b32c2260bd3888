namespace OAuthAspire.Contracts.Audit;

public sealed record UserCreated(string UserSysId, string UserName, IReadOnlyList<string> Roles, bool Active) : AuditEvent;

public sealed record UserUpdated(string UserSysId, string UserName, IReadOnlyList<string> Roles, bool Active, bool PasswordChanged) : AuditEvent;

public sealed record UserDeleted(string UserSysId, string UserName) : AuditEvent;
