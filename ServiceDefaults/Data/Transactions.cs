using Npgsql;

namespace OAuthAspire.ServiceDefaults.Data;

public static class Transactions
{
    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and commits it: a state change and its
    /// audit event (written through the same transaction) land together or not at all.
    /// </summary>
    public static async Task<T> InTransactionAsync<T>(this NpgsqlDataSource dataSource, Func<NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await work(transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public static Task InTransactionAsync(this NpgsqlDataSource dataSource, Func<NpgsqlTransaction, Task> work,
        CancellationToken cancellationToken = default) =>
        dataSource.InTransactionAsync(async tx =>
        {
            await work(tx);
            return true;
        }, cancellationToken);

    public static bool IsUniqueViolation(this Exception e, out string? constraint)
    {
        constraint = (e as PostgresException)?.ConstraintName;
        return e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
    }
}
