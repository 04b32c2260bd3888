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
    public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Tokens issued concurrently are recorded in one transaction (<see cref="GroupCommit{T}"/>). Each
/// request waits for the commit that holds its own rows before its token is handed out, so nothing
/// is lost; a failed commit fails every request in it (each answers 503, none gets a token).
/// </summary>
public sealed class IssuanceBatcher(NpgsqlDataSource dataSource, IAuditSink audit, ILogger<IssuanceBatcher> logger) : GroupCommit<PendingIssue>(logger)
{
    public async Task CommitAsync(PendingIssue issue, CancellationToken cancellationToken)
    {
        await EnqueueAsync(issue, cancellationToken);
        await issue.Committed.Task.WaitAsync(cancellationToken);
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
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await InsertAsync(tx, batch, audit, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        batch.ForEach(i => i.Committed.TrySetResult());
    }

    /// <summary>Records issued tokens and their audit events in the caller's transaction, one statement each.</summary>
    public static async Task InsertAsync(NpgsqlTransaction tx, IReadOnlyList<PendingIssue> issues, IAuditSink audit, CancellationToken cancellationToken)
    {
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

        await audit.WriteAsync(tx, [.. issues.Select(i => i.Event)], cancellationToken);
    }
}
