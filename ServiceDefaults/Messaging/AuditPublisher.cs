using System.Diagnostics;
using OAuthAspire.Contracts.Audit;
using RabbitMQ.Client;

namespace OAuthAspire.ServiceDefaults.Messaging;

/// <summary>One outbox row: its CloudEvent's exact bytes.</summary>
internal sealed record OutboxRow(long Id, Guid EventId, string Type, byte[] Body);

/// <summary>
/// Publishes CloudEvents to the service's own audit exchange (<see cref="AuditStream.ServiceExchange"/>)
/// on one channel, with publisher confirmations: a batch is sent without waiting, then its
/// confirmations are awaited in order. One connection for the relay's life, opened again only after
/// a failure. AMQP 0-9-1 has no CloudEvents binding: the body is the structured-mode event and
/// <c>content_type</c> says so; <c>message_id</c> is the event id, <c>type</c> its short type, and
/// <c>user_id</c> the service's broker login, which RabbitMQ checks, so a reader knows who published it.
/// </summary>
internal sealed class AuditPublisher(string connectionString, string service) : IAsyncDisposable
{
    // One span per batch (not per event): the dashboard shows the relay's work and what it carried.
    private static readonly ActivitySource Source = new(Telemetry.SourceName);

    private readonly Uri _broker = new(connectionString);
    private readonly string _exchange = AuditStream.ServiceExchange(service);
    private readonly string? _user = BrokerUserOf(connectionString);
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>Publishes the rows in order; returns how many, from the first, the broker confirmed. Throws when none could be.</summary>
    public async Task<int> PublishAsync(IReadOnlyList<OutboxRow> rows, CancellationToken cancellationToken)
    {
        using var activity = Source.StartActivity("audit publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.destination.name", _exchange);
        activity?.SetTag("messaging.batch.message_count", rows.Count);
        activity?.SetTag("oauthaspire.audit.types", string.Join(',', rows.Select(r => r.Type).Distinct()));
        var channel = await ChannelAsync(cancellationToken);
        var confirmations = new List<ValueTask>(rows.Count);
        Exception? failure = null;
        foreach (var row in rows)
        {
            try
            {
                var properties = new BasicProperties
                {
                    ContentType = AuditCloudEvent.ContentType,
                    MessageId = row.EventId.ToString(),
                    Type = row.Type,
                    UserId = _user,
                    DeliveryMode = DeliveryModes.Persistent,
                    Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
                };
                // Unroutable (no stream bound) comes back as an error instead of a silent confirmation.
                confirmations.Add(channel.BasicPublishAsync(_exchange, "", mandatory: true, properties, row.Body, cancellationToken));
            }
            catch (Exception e)
            {
                failure = e;
                break;
            }
        }

        var confirmed = 0;
        Exception? refused = null;
        foreach (var confirmation in confirmations)
        {
            try
            {
                await confirmation;
                if (refused is null)
                {
                    confirmed++;
                }
            }
            catch (Exception e)
            {
                refused ??= e;
            }
        }

        failure = refused ?? failure;
        if (failure is not null)
        {
            await ResetAsync();
            if (confirmed == 0)
            {
                throw failure;
            }
        }

        return confirmed;
    }

    private async ValueTask<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        await ResetAsync();
        var factory = new ConnectionFactory { Uri = _broker, ClientProvidedName = $"{_exchange}-relay", AutomaticRecoveryEnabled = false };
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        return _channel;
    }

    private async Task ResetAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException or ObjectDisposedException)
        {
        }

        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync() => await ResetAsync();

    /// <summary>The login's user name in an AMQP URI (<c>amqp://user:password@host/</c>); null without one (RabbitMQ's default user).</summary>
    private static string? BrokerUserOf(string connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
        {
            return null;
        }

        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        return user.Length == 0 ? null : user;
    }
}
