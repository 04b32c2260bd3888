using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>The outbox writer. <paramref name="service"/> names the writer in every event.</summary>
public sealed class OutboxAuditSink(NpgsqlDataSource dataSource, string service, RepeatedRefusals? repeats = null) : IAuditSink
{
    // Aspire names each service after its resource ("token", "edge"...).
    public OutboxAuditSink(NpgsqlDataSource dataSource, IConfiguration configuration, IHostEnvironment environment, RepeatedRefusals repeats)
        : this(dataSource, configuration["OTEL_SERVICE_NAME"] ?? environment.ApplicationName, repeats)
    {
    }

    // One statement: the insert, and a notification that wakes the relay once the transaction commits.
    private const string InsertSql =
        "WITH written AS (INSERT INTO outbox (event_id, message_type, payload) VALUES ($1, $2, $3)) SELECT pg_notify('outbox', '')";

    // Rows keep the list's order: unnest yields its elements in order and identity values follow.
    private const string InsertManySql = """
        WITH written AS (
            INSERT INTO outbox (event_id, message_type, payload)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]::jsonb[]))
        SELECT pg_notify('outbox', '')
        """;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task WriteAsync(NpgsqlTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(InsertSql, transaction.Connection, transaction);
        Bind(command, Stamp(auditEvent));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default)
    {
        var stamped = auditEvents.Select(Stamp).ToArray();
        await using var command = new NpgsqlCommand(InsertManySql, transaction.Connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. stamped.Select(e => e.EventId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. stamped.Select(e => e.Type)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. stamped.Select(Serialize)] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        // On its own, a refusal changes nothing: a repeat of one just written is counted instead.
        if (repeats is not null && !repeats.Admit(auditEvent))
        {
            return;
        }

        await using var command = dataSource.CreateCommand(InsertSql);
        Bind(command, Stamp(auditEvent));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private AuditEvent Stamp(AuditEvent auditEvent) => auditEvent with
    {
        Service = string.IsNullOrEmpty(auditEvent.Service) ? service : auditEvent.Service,
        TraceId = auditEvent.TraceId ?? Activity.Current?.TraceId.ToHexString(),
    };

    private static void Bind(NpgsqlCommand command, AuditEvent auditEvent)
    {
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = auditEvent.EventId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = auditEvent.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Serialize(auditEvent), NpgsqlDbType = NpgsqlDbType.Jsonb });
    }

    // jsonb cannot hold NUL: a caller-supplied value with one (a hostile client_id, say) is
    // recorded with U+FFFD in its place rather than failing the write.
    private static string Serialize(AuditEvent auditEvent) =>
        JsonSerializer.Serialize(auditEvent, auditEvent.GetType(), Json).Replace("\\u0000", "\\uFFFD", StringComparison.Ordinal);
}
