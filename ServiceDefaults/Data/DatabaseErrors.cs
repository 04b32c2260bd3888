using Npgsql;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>Tells a database that is away (retry later: 503) from a value it refuses (the caller's fault: 400).</summary>
public static class DatabaseErrors
{
    /// <summary>Connection lost or refused, server shutting down or overloaded, a timeout.</summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("53", StringComparison.Ordinal)
            || p.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Class 22 (data exception): a value the database cannot store or compare, such as a NUL character.</summary>
    public static bool IsInvalidValue(Exception e) => e is PostgresException p && p.SqlState.StartsWith("22", StringComparison.Ordinal);
}
