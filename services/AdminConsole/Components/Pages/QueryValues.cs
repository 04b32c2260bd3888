using System.Globalization;

namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>Values from a page's address, read leniently: a hand-edited address shows the first page, never an error.</summary>
public static class QueryValues
{
    public static int Offset(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) && offset <= 1_000_000 ? offset : 0;

    /// <summary>A filter's text, trimmed; blank is no filter.</summary>
    public static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A page of the console with the parameters that have a value, encoded.</summary>
    public static string Link(string page, params (string Name, string? Value)[] parameters) =>
        page + Microsoft.AspNetCore.Http.QueryString.Create(parameters.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Name, p.Value)));
}
