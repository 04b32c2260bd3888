namespace OAuthAspire.Directory.Users;

/// <summary>The admin API's new password for a user (camelCase JSON).</summary>
public sealed record PasswordDto(string? Password);
