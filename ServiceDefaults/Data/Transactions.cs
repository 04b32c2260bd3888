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

    /// <summary>
    /// As above, but commits only when <paramref name="commit"/> approves the result; otherwise
    /// rolls everything back (a refusal that comes after the first writes, from another service).
    /// </summary>
    public static async Task<T> InTransactionAsync<T>(this NpgsqlDataSource dataSource, Func<NpgsqlTransaction, Task<T>> work, Func<T, bool> commit,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var result = await work(transaction);
        if (commit(result))
        {
            await transaction.CommitAsync(cancellationToken);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken);
        }

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
