using System.Text.Json.Nodes;

namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>A user's fields as the console edits them, written into the admin API's user document.</summary>
public sealed class UserForm
{
    public string UserName { get; set; } = "";

    public string FirstName { get; set; } = "";

    public string LastName { get; set; } = "";

    public string Email { get; set; } = "";

    public string Roles { get; set; } = "";

    public string? Password { get; set; }

    /// <summary>Sets the edited fields on <paramref name="document"/> (an empty email is none).</summary>
    public JsonObject ApplyTo(JsonObject document)
    {
        document["firstName"] = FirstName.Trim();
        document["lastName"] = LastName.Trim();
        document["email"] = string.IsNullOrWhiteSpace(Email) ? null : Email.Trim();
        document["roles"] = ApplicationForm.Array(Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return document;
    }

    public static UserForm From(Api.DirectoryUser user) => new()
    {
        UserName = user.UserName,
        FirstName = user.FirstName,
        LastName = user.LastName,
        Email = user.Email,
        Roles = string.Join(' ', user.Roles),
    };
}
