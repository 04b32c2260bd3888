using System.Diagnostics;
using Npgsql;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>The outbox writer: each event becomes its CloudEvent, linked into one of this process's <see cref="AuditChains"/>.</summary>
public sealed class OutboxAuditSink(NpgsqlDataSource dataSource, AuditChains chains, RepeatedRefusals? repeats = null) : IAuditSink
{
    public Task WriteAsync(NpgsqlTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        chains.WriteAsync(dataSource, transaction, [Stamp(auditEvent)], cancellationToken);

    public Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default) =>
        auditEvents.Count == 0 ? Task.CompletedTask : chains.WriteAsync(dataSource, transaction, [.. auditEvents.Select(Stamp)], cancellationToken);

    public async Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        // On its own, a refusal changes nothing: a repeat of one just written is counted instead.
        if (repeats is not null && !repeats.Admit(auditEvent))
        {
            return;
        }

        await chains.WriteAsync(dataSource, null, [Stamp(auditEvent)], cancellationToken);
    }

    private AuditEvent Stamp(AuditEvent auditEvent)
    {
        var current = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity : null;
        return auditEvent with
        {
            Service = string.IsNullOrEmpty(auditEvent.Service) ? chains.Service : auditEvent.Service,
            TraceId = auditEvent.TraceId ?? current?.TraceId.ToHexString(),
            TraceParent = auditEvent.TraceParent ?? current?.Id,
        };
    }
}
