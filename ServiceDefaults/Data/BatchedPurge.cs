using Npgsql;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>
/// Deletes old rows a batch at a time, each batch its own short statement, so a purge of a million
/// rows never holds one long transaction (its locks, its WAL burst, a connection for minutes) in
/// front of the hot path's commits; a short pause between batches leaves the disk to them.
/// </summary>
public static class BatchedPurge
{
    public const int BatchSize = 5_000;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    /// <param name="table">A table name (a constant of the caller, never input).</param>
    /// <param name="condition">The rows to delete, as SQL over the table's columns (a constant; it should use an index).</param>
    /// <returns>How many rows were deleted.</returns>
    public static async Task<int> DeleteAsync(NpgsqlDataSource dataSource, string table, string condition, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var deleted = await DeleteBatchAsync(connection, table, condition, cancellationToken);
            total += deleted;
            if (deleted < BatchSize)
            {
                return total;
            }

            await Task.Delay(Pause, cancellationToken);
        }
    }

    /// <summary>One batch on the caller's connection: at most <see cref="BatchSize"/> rows.</summary>
    public static async Task<int> DeleteBatchAsync(NpgsqlConnection connection, string table, string condition, CancellationToken cancellationToken,
        params NpgsqlParameter[] parameters)
    {
        // By physical row id: the sub-select takes its LIMIT through the condition's index, the delete goes straight to the rows.
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {condition} LIMIT {BatchSize}))", connection);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
