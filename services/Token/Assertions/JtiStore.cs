using Npgsql;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// One-time JWT ids (client assertions, JWT bearer grants, DPoP proofs) per owner, kept in
/// PostgreSQL so every replica agrees. Ids claimed together are written by one statement and one
/// commit (<see cref="GroupCommit{T}"/>): a DPoP proof per token request must not cost a commit of its own.
/// </summary>
public sealed class JtiStore(NpgsqlDataSource dataSource, ILogger<JtiStore> logger) : GroupCommit<JtiStore.Claim>(logger)
{
    public const int MaxJtiLength = 256;

    /// <returns>False when the id was used before (a replay).</returns>
    public async ValueTask<bool> TryUseAsync(string owner, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        // Ids are written together: one PostgreSQL cannot store (NUL, broken UTF-16) must not fail
        // the others' batch. Such an id is refused as if used, as an over-long one is.
        if (jti.Length > MaxJtiLength || !IsStorable(jti) || !IsStorable(owner))
        {
            return false;
        }

        var claim = new Claim(owner, jti, expiresAt.UtcDateTime);
        await EnqueueAsync(claim, cancellationToken);
        return await claim.Fresh.Task.WaitAsync(cancellationToken);
    }

    protected override async Task WriteAsync(List<Claim> batch, CancellationToken cancellationToken)
    {
        // The same id twice in one batch: the first is the use, the others replays.
        var first = new Dictionary<(string, string), Claim>();
        var repeats = new List<Claim>();
        foreach (var claim in batch)
        {
            if (!first.TryAdd((claim.Owner, claim.Jti), claim))
            {
                repeats.Add(claim);
            }
        }

        // In key order: two batches holding the same ids wait for each other in one order, never deadlock.
        var claims = first.OrderBy(c => c.Key.Item1, StringComparer.Ordinal).ThenBy(c => c.Key.Item2, StringComparer.Ordinal).Select(c => c.Value).ToArray();
        var inserted = new HashSet<(string, string)>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO used_jti (client_id, jti, expires_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
            ON CONFLICT DO NOTHING
            RETURNING client_id, jti
            """, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.Owner)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.Jti)] });
            insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. claims.Select(c => c.ExpiresAt)] });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (key, claim) in first)
        {
            claim.Fresh.TrySetResult(inserted.Contains(key));
        }

        repeats.ForEach(c => c.Fresh.TrySetResult(false));
    }

    private static bool IsStorable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0' || char.IsLowSurrogate(c) || (char.IsHighSurrogate(c) && (++i >= value.Length || !char.IsLowSurrogate(value[i]))))
            {
                return false;
            }
        }

        return true;
    }

    protected override void Fail(Claim item, Exception? error, CancellationToken stoppingToken)
    {
        if (error is null)
        {
            item.Fresh.TrySetCanceled(stoppingToken);
        }
        else
        {
            item.Fresh.TrySetException(error);
        }
    }

    /// <summary>An id waiting to be recorded; <see cref="Fresh"/> says whether it was unused.</summary>
    public sealed record Claim(string Owner, string Jti, DateTime ExpiresAt)
    {
        public TaskCompletionSource<bool> Fresh { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
