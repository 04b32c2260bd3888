using Npgsql;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>
/// Records audit events in the service's outbox. An event that accompanies a state change is
/// written inside that change's transaction, so both commit or neither does; the relay then
/// delivers it to RabbitMQ, however long the broker is away.
/// </summary>
public interface IAuditSink
{
    /// <summary>Writes the event inside the caller's transaction.</summary>
    Task WriteAsync(NpgsqlTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Writes several events inside the caller's transaction with one statement (group commit), in list order.</summary>
    Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default);

    /// <summary>Writes an event that accompanies no state change (a refusal, say) on its own.</summary>
    Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);
}
