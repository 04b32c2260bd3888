namespace OAuthAspire.Directory.Users;

/// <summary>A row of the user directory.</summary>
public sealed record UserRecord
{
    public required string SysId { get; init; }
    public required string UserName { get; init; }
    public string? Email { get; init; }
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string? PasswordHash { get; init; }
    public string[] Roles { get; init; } = [];
    public bool Active { get; init; } = true;

    public UserDto ToDto() => new(SysId, UserName, Email, FirstName, LastName, Roles, Active, null);
}
