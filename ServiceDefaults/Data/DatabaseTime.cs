namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>PostgreSQL's <c>timestamptz</c> comes back through Dapper as a <see cref="DateTime"/> of unspecified kind; it is UTC.</summary>
public static class DatabaseTime
{
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static DateTimeOffset? Utc(DateTime? value) => value is null ? null : Utc(value.Value);
}
