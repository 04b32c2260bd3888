using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Issuance;

/// <summary>One signed token waiting for its record and audit event to be committed.</summary>
/// <param name="CodeHash">The code it was issued for (a replayed code revokes it).</param>
/// <param name="FamilyId">The refresh family it belongs to (a reused refresh token revokes it).</param>
/// <param name="DpopJkt">The DPoP key it is bound to, shown in the inventory.</param>
/// <param name="MtlsX5t">The client certificate it is bound to, shown in the inventory.</param>
public sealed record PendingIssue(string Jti, string ClientId, string Subject, string Scope, string GrantType, DateTime IssuedAt, DateTime ExpiresAt,
    AuditEvent Event, byte[]? CodeHash = null, Guid? FamilyId = null, string? DpopJkt = null, string? MtlsX5t = null)
{
    /// <summary>What a user's grant changes with the token (a code spent, a refresh token rotated); null for client credentials.</summary>
    public GrantChange? Change { get; init; }

    /// <summary>True once committed; false when a concurrent request spent the code or the refresh token first (nothing of it was written).</summary>
    public TaskCompletionSource<bool> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _withdrawn;

    /// <summary>Whether the request went away before its batch began: then nothing of it is written (its code stays unspent).</summary>
    public bool Withdrawn => Volatile.Read(ref _withdrawn) == 1;

    public void Withdraw() => Interlocked.Exchange(ref _withdrawn, 1);
}

/// <summary>
/// The rows a code redemption or a refresh writes beside its token. The claims (<see cref="RedeemsCode"/>,
/// <see cref="RotatesToken"/>, <see cref="RefreshesFamily"/>) are checked in the commit itself, so a
/// request that read its code or refresh token without a lock still spends it at most once.
/// </summary>
public sealed record GrantChange
{
    /// <summary>The authorization code this redemption spends: written only if it is still unspent.</summary>
    public byte[]? RedeemsCode { get; init; }

    /// <summary>The refresh token this refresh rotates: written only if it is not rotated yet.</summary>
    public byte[]? RotatesToken { get; init; }

    /// <summary>The family refreshed: its row is locked and must not be revoked (a revocation waits for, or wins over, this commit).</summary>
    public Guid? RefreshesFamily { get; init; }

    /// <summary>A refresh family begun with this token.</summary>
    public RefreshFamily? NewFamily { get; init; }

    /// <summary>The hash of the new refresh token, in the token's family (<see cref="PendingIssue.FamilyId"/>).</summary>
    public byte[]? NewRefreshToken { get; init; }

    /// <summary>The grant's own audit event (CodeRedeemed, RefreshTokenRotated), written after TokenIssued.</summary>
    public AuditEvent? Event { get; init; }
}

/// <summary>
/// Tokens issued concurrently are recorded in one transaction (<see cref="GroupCommit{T}"/>). Each
/// request waits for the commit that holds its own rows before its token is handed out, so nothing
/// is lost; a failed commit fails every request in it (each answers 503, none gets a token).
/// </summary>
public sealed class IssuanceBatcher(NpgsqlDataSource dataSource, IAuditSink audit, ILogger<IssuanceBatcher> logger) : GroupCommit<PendingIssue>(logger)
{
    /// <returns>False when the issue's <see cref="GrantChange"/> lost its claim to a concurrent request.</returns>
    public async Task<bool> CommitAsync(PendingIssue issue, CancellationToken cancellationToken)
    {
        await EnqueueAsync(issue, cancellationToken);
        // A client that gives up before its batch begins takes its issue back: a refresh token is not rotated for an answer nobody reads.
        await using var withdraw = cancellationToken.Register(issue.Withdraw);
        return await issue.Committed.Task.WaitAsync(cancellationToken);
    }

    protected override void Fail(PendingIssue item, Exception? error, CancellationToken stoppingToken)
    {
        if (error is null)
        {
            item.Committed.TrySetCanceled(stoppingToken);
        }
        else
        {
            item.Committed.TrySetException(error);
        }
    }

    protected override async Task WriteAsync(List<PendingIssue> batch, CancellationToken cancellationToken)
    {
        batch.RemoveAll(i => i.Withdrawn && i.Committed.TrySetCanceled());
        if (batch.Count == 0)
        {
            return;
        }

        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            var lost = await ClaimAsync(tx, batch, cancellationToken);
            var won = lost.Count == 0 ? batch : batch.Where(i => !lost.Contains(i)).ToList();
            if (won.Count > 0)
            {
                await InsertAsync(tx, won, audit, cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            batch.ForEach(i => i.Committed.TrySetResult(!lost.Contains(i)));
        }
    }

    /// <summary>
    /// Spends the batch's codes and rotates its refresh tokens where still possible, rows locked in
    /// key order (no deadlock with the other writer); returns the issues that lost (a code or token
    /// spent first, twice in the batch, or a family revoked). A family or code another transaction
    /// holds locked (a revocation, a replay) is skipped, not waited for: that issue loses and is decided
    /// again under the lock, so one long lock never stalls a batch of other clients' tokens.
    /// </summary>
    private static async Task<HashSet<PendingIssue>> ClaimAsync(NpgsqlTransaction tx, List<PendingIssue> batch, CancellationToken cancellationToken)
    {
        var lost = new HashSet<PendingIssue>(ReferenceEqualityComparer.Instance);
        var families = batch.Where(i => i.Change?.RefreshesFamily is not null).ToList();
        if (families.Count > 0)
        {
            var live = new HashSet<Guid>(await SelectAsync<Guid>(tx, """
                SELECT family_id FROM refresh_family WHERE family_id = ANY($1) AND revoked_at IS NULL ORDER BY family_id FOR UPDATE SKIP LOCKED
                """, families.Select(i => i.Change!.RefreshesFamily!.Value).Distinct().ToArray(), cancellationToken));
            lost.UnionWith(families.Where(i => !live.Contains(i.Change!.RefreshesFamily!.Value)));
        }

        await ClaimOnceAsync(tx, batch, lost, i => i.Change?.RedeemsCode, """
            UPDATE authorization_code SET redeemed_at = now() WHERE code_hash IN (
                SELECT code_hash FROM authorization_code WHERE code_hash = ANY($1) AND redeemed_at IS NULL ORDER BY code_hash FOR UPDATE SKIP LOCKED)
            RETURNING code_hash
            """, cancellationToken);
        await ClaimOnceAsync(tx, batch, lost, i => i.Change?.RotatesToken, """
            UPDATE refresh_token SET rotated_at = now() WHERE token_hash IN (
                SELECT token_hash FROM refresh_token WHERE token_hash = ANY($1) AND rotated_at IS NULL ORDER BY token_hash FOR UPDATE)
            RETURNING token_hash
            """, cancellationToken);
        return lost;
    }

    /// <summary>One claim per key: the first issue naming a key takes it if the statement does; the rest lose.</summary>
    private static async Task ClaimOnceAsync(NpgsqlTransaction tx, List<PendingIssue> batch, HashSet<PendingIssue> lost, Func<PendingIssue, byte[]?> keyOf, string sql,
        CancellationToken cancellationToken)
    {
        var first = new Dictionary<string, PendingIssue>();
        foreach (var issue in batch)
        {
            if (keyOf(issue) is { } key && !lost.Contains(issue) && !first.TryAdd(Convert.ToBase64String(key), issue))
            {
                lost.Add(issue);
            }
        }

        if (first.Count == 0)
        {
            return;
        }

        var claimed = (await SelectAsync<byte[]>(tx, sql, first.Values.Select(i => keyOf(i)!).ToArray(), cancellationToken))
            .Select(Convert.ToBase64String).ToHashSet();
        lost.UnionWith(first.Where(f => !claimed.Contains(f.Key)).Select(f => f.Value));
    }

    private static async Task<List<T>> SelectAsync<T>(NpgsqlTransaction tx, string sql, T[] keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, tx.Connection, tx) { Parameters = { new NpgsqlParameter<T[]> { TypedValue = keys } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    /// <summary>Records issued tokens, the refresh families and tokens they bring, and their audit events in the caller's transaction.</summary>
    public static async Task InsertAsync(NpgsqlTransaction tx, IReadOnlyList<PendingIssue> issues, IAuditSink audit, CancellationToken cancellationToken)
    {
        if (issues.Any(i => i.Change is not null))
        {
            await InsertRefreshAsync(tx, issues, cancellationToken);
        }

        await using (var insert = new NpgsqlCommand("""
            INSERT INTO issued_token (jti, client_id, subject, scope, grant_type, issued_at, expires_at, code_hash, family_id, dpop_jkt, mtls_x5t)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::bytea[], $9::uuid[],
                $10::text[], $11::text[])
            """, tx.Connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. issues.Select(i => i.Jti)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. issues.Select(i => i.ClientId)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. issues.Select(i => i.Subject)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. issues.Select(i => i.Scope)] });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. issues.Select(i => i.GrantType)] });
            insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. issues.Select(i => i.IssuedAt)] });
            insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. issues.Select(i => i.ExpiresAt)] });
            insert.Parameters.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. issues.Select(i => i.CodeHash)] });
            insert.Parameters.Add(new NpgsqlParameter<Guid?[]> { TypedValue = [.. issues.Select(i => i.FamilyId)] });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. issues.Select(i => i.DpopJkt)] });
            insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. issues.Select(i => i.MtlsX5t)] });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await audit.WriteAsync(tx, [.. issues.SelectMany(i => i.Change?.Event is { } own ? new[] { i.Event, own } : [i.Event])], cancellationToken);
    }

    /// <summary>New families (one statement each, in one round trip: their array columns do not unnest) and then their tokens.</summary>
    private static async Task InsertRefreshAsync(NpgsqlTransaction tx, IReadOnlyList<PendingIssue> issues, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(tx.Connection, tx);
        foreach (var family in issues.Select(i => i.Change?.NewFamily).OfType<RefreshFamily>())
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                INSERT INTO refresh_family (family_id, client_id, user_sys_id, scopes, grant_type, auth_time, session_id, amr, expires_at, dpop_jkt, mtls_x5t, resources)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<Guid> { TypedValue = family.FamilyId },
                    new NpgsqlParameter<string> { TypedValue = family.ClientId },
                    new NpgsqlParameter<string> { TypedValue = family.UserSysId },
                    new NpgsqlParameter<string[]> { TypedValue = family.Scopes },
                    new NpgsqlParameter<string> { TypedValue = family.GrantType },
                    new NpgsqlParameter<DateTime?> { TypedValue = family.AuthTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
                    new NpgsqlParameter<string?> { TypedValue = family.SessionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter<string[]> { TypedValue = family.Amr },
                    new NpgsqlParameter<DateTime> { TypedValue = family.ExpiresAt },
                    new NpgsqlParameter<string?> { TypedValue = family.DpopJkt, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter<string?> { TypedValue = family.MtlsX5t, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new NpgsqlParameter<string[]> { TypedValue = family.Resources },
                },
            });
        }

        var tokens = issues.Where(i => i.Change?.NewRefreshToken is not null).ToList();
        if (tokens.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO refresh_token (token_hash, family_id) SELECT * FROM unnest($1::bytea[], $2::uuid[])")
            {
                Parameters =
                {
                    new NpgsqlParameter<byte[][]> { TypedValue = [.. tokens.Select(i => i.Change!.NewRefreshToken!)] },
                    new NpgsqlParameter<Guid[]> { TypedValue = [.. tokens.Select(i => i.FamilyId!.Value)] },
                },
            });
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
