using System.Text.Json.Nodes;
using OAuthAspire.Protocol;

namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>The registration form: what the console asks for, turned into the admin API's application document.</summary>
public sealed class ApplicationForm
{
    public string Name { get; set; } = "";

    public string Kind { get; set; } = "confidential";

    /// <summary>Not checked by default: an unchecked box posts nothing, so a default of true could never be cleared.</summary>
    public bool AuthorizationCode { get; set; }

    public bool RefreshToken { get; set; }

    public bool ClientCredentials { get; set; }

    public bool DeviceCode { get; set; }

    public string RedirectUris { get; set; } = "";

    public string Scopes { get; set; } = "openid profile";

    public JsonObject ToJson()
    {
        var grants = new (bool Chosen, string Grant)[]
        {
            (AuthorizationCode, GrantTypes.AuthorizationCode), (RefreshToken, GrantTypes.RefreshToken),
            (ClientCredentials, GrantTypes.ClientCredentials), (DeviceCode, GrantTypes.DeviceCode),
        };
        return new JsonObject
        {
            ["name"] = Name.Trim(),
            ["public"] = Kind == "public",
            ["grantTypes"] = Array(grants.Where(g => g.Chosen).Select(g => g.Grant)),
            ["redirectUris"] = Array(Lines(RedirectUris)),
            ["scopes"] = Array(Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
        };
    }

    /// <summary>One value per line, blank lines dropped.</summary>
    public static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
