using System.Globalization;

namespace OAuthAspire.AdminConsole.Components.Pages;

/// <summary>Numbers from a page's address, read leniently: a hand-edited address shows the first page, never an error.</summary>
public static class QueryNumbers
{
    public static int Offset(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) && offset <= 1_000_000 ? offset : 0;
}
