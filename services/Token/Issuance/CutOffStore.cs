using Dapper;
using MassTransit;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Token.Issuance;

/// <summary>Per-user and per-client cut-offs, shared by every replica: what introspection and the edge's snapshot read.</summary>
public sealed class CutOffStore(NpgsqlDataSource dataSource)
{
    public async Task RecordAsync(string kind, string id, DateTimeOffset issuedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO token_cut_off (subject_kind, subject_id, issued_before) VALUES (@kind, @id, @at)
            ON CONFLICT (subject_kind, subject_id) DO UPDATE SET issued_before = GREATEST(token_cut_off.issued_before, excluded.issued_before)
            """, new { kind, id, at = issuedBefore.UtcDateTime }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<(string Kind, string Id, DateTime IssuedBefore)>> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string, DateTime)>(new CommandDefinition(
            "SELECT subject_kind, subject_id, issued_before FROM token_cut_off WHERE issued_before > now() - @relevance",
            new { relevance = CutOffs.Relevance }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM token_cut_off WHERE issued_before < now() - @relevance",
            new { relevance = CutOffs.Relevance }, cancellationToken: cancellationToken));
    }
}

/// <summary>Records every cut-off once per service (a durable queue), so no replica and no restart misses one.</summary>
public sealed class TokensCutOffConsumer(CutOffStore store) : IConsumer<TokensCutOff>
{
    public Task Consume(ConsumeContext<TokensCutOff> context) =>
        CutOffs.IsKnownKind(context.Message.SubjectKind)
            ? store.RecordAsync(context.Message.SubjectKind, context.Message.SubjectId, context.Message.IssuedBefore, context.CancellationToken)
            : Task.CompletedTask;
}
