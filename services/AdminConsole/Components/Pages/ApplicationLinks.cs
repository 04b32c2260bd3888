namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>
/// The console's address of an application. A client whose id is the URL of its metadata document
/// has slashes the edge refuses escaped in a path: it is named by query, as the admin API does (<c>by-url?url=</c>).
/// </summary>
public static class ApplicationLinks
{
    public const string ByUrl = "by-url";

    public static bool IsUrl(string clientId) => clientId.Contains('/', StringComparison.Ordinal);

    public static string Of(string clientId) =>
        IsUrl(clientId) ? $"applications/{ByUrl}?url={Uri.EscapeDataString(clientId)}" : $"applications/{Uri.EscapeDataString(clientId)}";

    /// <summary>The admin API's path of an application.</summary>
    public static string ApiPath(string clientId) =>
        IsUrl(clientId) ? $"api/admin/clients/{ByUrl}?url={Uri.EscapeDataString(clientId)}" : $"api/admin/clients/{Uri.EscapeDataString(clientId)}";

    /// <summary>The admin API's path of an application's secret.</summary>
    public static string SecretApiPath(string clientId) =>
        IsUrl(clientId) ? $"api/admin/clients/{ByUrl}/secret?url={Uri.EscapeDataString(clientId)}" : $"api/admin/clients/{Uri.EscapeDataString(clientId)}/secret";
}
