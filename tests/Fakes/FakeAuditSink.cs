using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Testing.Fakes;

/// <summary>Keeps what would be written to the outbox; with <see cref="Failure"/> set, every write fails with it.</summary>
internal sealed class FakeAuditSink : IAuditSink
{
    private readonly List<AuditEvent> _events = [];

    public Exception? Failure { get; set; }

    public IReadOnlyList<AuditEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public Task WriteAsync(NpgsqlTransaction transaction, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        WriteAsync(auditEvent, cancellationToken);

    public async Task WriteAsync(NpgsqlTransaction transaction, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default)
    {
        foreach (var auditEvent in auditEvents)
        {
            await WriteAsync(auditEvent, cancellationToken);
        }
    }

    public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            return Task.FromException(Failure);
        }

        lock (_events)
        {
            _events.Add(auditEvent);
        }

        return Task.CompletedTask;
    }
}
