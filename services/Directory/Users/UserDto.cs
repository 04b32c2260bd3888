namespace OAuthAspire.Directory.Users;

/// <summary>The admin API's user (camelCase JSON). <c>password</c> is write-only.</summary>
public sealed record UserDto(
    string? SysId, string? UserName, string? Email, string? FirstName, string? LastName,
    string[]? Roles, bool? Active, string? Password);
