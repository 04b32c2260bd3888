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

    private static long _lastClear;

    /// <summary>
    /// After the database was away, pooled connections to it are dead: drop them all at once (at
    /// most once a second) so the next requests open fresh ones instead of each finding a dead one.
    /// </summary>
    public static void DropDeadConnections(Exception e)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastClear);
        if (e is NpgsqlException && IsUnavailable(e) && now - last > 1000 && Interlocked.CompareExchange(ref _lastClear, now, last) == last)
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// For endpoints that answer "try later" themselves: true when the database is away, dropping
    /// its dead pooled connections on the way (see <see cref="DropDeadConnections"/>).
    /// </summary>
    public static bool Away(Exception e)
    {
        if (!IsUnavailable(e))
        {
            return false;
        }

        DropDeadConnections(e);
        return true;
    }

    /// <summary>Class 22 (data exception): a value the database cannot store or compare, such as a NUL character.</summary>
    public static bool IsInvalidValue(Exception e) => e is PostgresException p && p.SqlState.StartsWith("22", StringComparison.Ordinal);
}
