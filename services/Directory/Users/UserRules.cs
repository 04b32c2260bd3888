using System.Text.RegularExpressions;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Directory.Users;

/// <summary>What a user must satisfy (ProblemDetails name each field).</summary>
public static partial class UserRules
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 256;

    [GeneratedRegex("^[a-z0-9_.-]{1,64}$")]
    private static partial Regex RolePattern();

    public static Validation Check(UserDto user, bool passwordRequired)
    {
        var validation = new Validation();
        var name = user.UserName;
        validation.Require(!string.IsNullOrWhiteSpace(name) && name.Length <= 100 && !name.Any(char.IsControl) && name.Trim() == name,
            "userName", "is required: 1-100 characters, no control characters or surrounding spaces");
        if (user.Email is not null)
        {
            validation.Require(user.Email.Length <= 254 && user.Email.IndexOf('@') > 0 && user.Email.IndexOf('@') < user.Email.Length - 1
                && !user.Email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)), "email", "must be an email address");
        }

        validation.Require((user.FirstName?.Length ?? 0) <= 100, "firstName", "must be at most 100 characters");
        validation.Require((user.LastName?.Length ?? 0) <= 100, "lastName", "must be at most 100 characters");
        foreach (var role in user.Roles ?? [])
        {
            validation.Require(role is not null && RolePattern().IsMatch(role), "roles", $"'{role}' is not a role name (a-z, 0-9, _ . -)");
        }

        CheckPassword(validation, user.Password, passwordRequired);
        return validation;
    }

    public static Validation CheckPassword(Validation validation, string? password, bool required)
    {
        if (password is null)
        {
            return validation.Require(!required, "password", "is required");
        }

        return validation.Require(password.Length is >= MinPasswordLength and <= MaxPasswordLength, "password",
            $"must be {MinPasswordLength}-{MaxPasswordLength} characters");
    }

    public static string NewSysId() => Guid.NewGuid().ToString("N");
}
