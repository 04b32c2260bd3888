namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>Patterns for SQL <c>LIKE</c>/<c>ILIKE … ESCAPE '\'</c> that treat what a user typed as literal text.</summary>
public static class SqlLike
{
    /// <summary>Matches any value containing <paramref name="text"/>: its <c>%</c>, <c>_</c> and <c>\</c> match only themselves. Null for no filter.</summary>
    public static string? Containing(string? text) => string.IsNullOrEmpty(text)
        ? null
        : "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>The longest search an admin list takes.</summary>
    public const int MaxSearchLength = 200;
}
