using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The shared audit outbox against the real scope-policy database, relay and broker: events
/// written through <see cref="IAuditSink"/> in a transaction reach RabbitMQ only if it commits,
/// in order, and survive a broker outage.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditOutboxTests(SystemFixture system)
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(20);

    // A writer of its own in scope-policy's outbox (scope-policy's relay publishes its events), with a key of its own.
    private static readonly AuditChains Chains = new("scope-policy-test", "http://localhost", AuditKey.From(null));

    [Fact]
    public async Task EventWrittenInACommittedTransactionReachesABoundQueue()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var written = new ScopeCreated($"committed.{Guid.NewGuid():N}", "a committed event");

        await WriteAsync(written, commit: true);

        var events = await queue.ReadUntilAsync(e => IsEvent(e, written.EventId), Delivery);
        var received = Assert.Single(events, e => IsEvent(e, written.EventId));
        Assert.Equal("ScopeCreated", received.GetProperty("type").GetString());
        Assert.Equal(written.Name, received.GetProperty("name").GetString());
        Assert.Equal("scope-policy-test", received.GetProperty("service").GetString());
    }

    [Fact]
    public async Task EventWrittenInARolledBackTransactionIsNeverPublished()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var rolledBack = new ScopeCreated($"rolled-back.{Guid.NewGuid():N}", "never committed");
        var marker = new ScopeCreated($"marker.{Guid.NewGuid():N}", "committed after the rollback");

        await WriteAsync(rolledBack, commit: false);
        await WriteAsync(marker, commit: true);

        // The relay keeps order, so once the later marker has arrived the rolled-back event never will.
        var events = await queue.ReadUntilAsync(e => IsEvent(e, marker.EventId), Delivery);
        Assert.Contains(events, e => IsEvent(e, marker.EventId));
        Assert.DoesNotContain(events, e => IsEvent(e, rolledBack.EventId));
    }

    [Fact]
    public async Task EventsWrittenWhileRabbitMqIsStoppedAllArriveInOrderAfterItStarts()
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        var queue = await AuditQueue.BindAsync(rabbit);
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var written = Enumerable.Range(0, 25).Select(i => new ScopeCreated($"outage.{i:D2}.{Guid.NewGuid():N}", $"event {i}")).ToArray();

        try
        {
            var stopped = await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StopCommand);
            Assert.True(stopped.Success, stopped.Message);
            await notifications.WaitForResourceAsync("rabbitmq", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));

            foreach (var e in written)
            {
                await WriteAsync(e, commit: true);
            }

            var started = await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StartCommand);
            Assert.True(started.Success, started.Message);
            await notifications.WaitForResourceHealthyAsync("rabbitmq", WaitBehavior.WaitOnResourceUnavailable).WaitAsync(TimeSpan.FromSeconds(90));
            await queue.ConnectAsync();

            var ids = written.Select(e => e.EventId).ToHashSet();
            var events = await queue.ReadUntilAsync(e => IsEvent(e, written[^1].EventId), TimeSpan.FromSeconds(60));
            var arrived = events.Select(e => e.GetProperty("eventId").GetGuid()).Where(ids.Contains).ToArray();
            Assert.Equal(written.Select(e => e.EventId), arrived);
        }
        finally
        {
            await system.WaitForRabbitMqAsync();
            await queue.DisposeAsync();
        }
    }

    private async Task WriteAsync(AuditEvent auditEvent, bool commit)
    {
        await using var db = await system.DatabaseAsync("scopepolicydb");
        var sink = new OutboxAuditSink(db, Chains);
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await sink.WriteAsync(transaction, auditEvent);
        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }
    }

    private static bool IsEvent(JsonElement e, Guid id) =>
        e.TryGetProperty("eventId", out var value) && value.GetGuid() == id;
}
