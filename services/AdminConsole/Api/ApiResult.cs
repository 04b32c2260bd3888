using System.Text.Json.Serialization;

namespace OAuthAspire.AdminConsole.Api;

/// <summary>An admin API's RFC 9457 answer to a refused call: its title, detail and, for validation, the errors by field.</summary>
public sealed record Problem(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("errors")] Dictionary<string, string[]>? Errors)
{
    /// <summary>The messages about one field (<c>redirectUris</c> also collects <c>redirectUris[0]</c>).</summary>
    public IEnumerable<string> For(string field) =>
        Errors?.Where(e => e.Key == field || e.Key.StartsWith(field + "[", StringComparison.Ordinal) || e.Key.StartsWith(field + ".", StringComparison.Ordinal))
            .SelectMany(e => e.Value) ?? [];

    /// <summary>A one-line summary: the detail, else the title, else the status.</summary>
    public string Summary => Detail ?? Title ?? $"The admin API answered {Status}.";
}

/// <summary>What a call returned: the value, or the problem that refused it.</summary>
public sealed record ApiResult<T>(T? Value, Problem? Problem)
{
    public bool Ok => Problem is null;
}
