using System.Text.Json;
using System.Threading.Channels;
using OAuthAspire.Contracts.Audit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OAuthAspire.AuditTail;

/// <summary>
/// One audit event read from the stream: its offset (to resume after it), the event's fields (the
/// CloudEvent's <c>data</c>), the whole CloudEvent and its exact bytes (what the chain hashes), and who
/// published it (the AMQP <c>user_id</c> RabbitMQ checked, and the exchange).
/// </summary>
public sealed record StreamEntry(long Offset, JsonElement Event, JsonElement CloudEvent, byte[] Body, string? UserId, string? Exchange);

/// <summary>
/// Reads a RabbitMQ stream queue as an independent consumer: nothing is taken from other readers.
/// Entries arrive in stream order; the reader completes with an error if the connection is lost.
/// </summary>
public sealed class StreamFollower : IAsyncDisposable
{
    private const ushort Prefetch = 200;
    private readonly Channel<StreamEntry> _entries = Channel.CreateBounded<StreamEntry>(
        new BoundedChannelOptions(Prefetch * 4) { SingleReader = true, SingleWriter = true });

    private IConnection? _connection;
    private IChannel? _channel;

    private StreamFollower()
    {
    }

    public ChannelReader<StreamEntry> Entries => _entries.Reader;

    /// <summary>
    /// Connects and starts reading. Throws <see cref="RabbitMQ.Client.Exceptions.BrokerUnreachableException"/>
    /// when the broker does not answer and <see cref="StreamNotFoundException"/> when the stream does not exist.
    /// </summary>
    public static async Task<StreamFollower> OpenAsync(Uri broker, string stream, StartAt from, CancellationToken cancellationToken)
    {
        var follower = new StreamFollower();
        try
        {
            await follower.StartAsync(broker, stream, from, cancellationToken);
            return follower;
        }
        catch
        {
            await follower.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(Uri broker, string stream, StartAt from, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = broker,
            ClientProvidedName = "oauthaspire-audit",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _connection.ConnectionShutdownAsync += (_, e) =>
        {
            _entries.Writer.TryComplete(e.Initiator == ShutdownInitiator.Application ? null : new IOException($"connection lost: {e.ReplyText}"));
            return Task.CompletedTask;
        };

        _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await _channel.QueueDeclarePassiveAsync(stream, cancellationToken);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            throw new StreamNotFoundException(stream);
        }

        // A stream consumer must acknowledge (that is its flow control) and set a prefetch.
        await _channel.BasicQosAsync(0, Prefetch, false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var offset = delivery.BasicProperties.Headers?.TryGetValue("x-stream-offset", out var o) == true ? Convert.ToInt64(o) : -1;
            var body = delivery.Body.ToArray();
            JsonElement cloudEvent;
            try
            {
                using var document = JsonDocument.Parse(body);
                cloudEvent = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON: kept, so that verify can name it, with no fields to show.
                cloudEvent = default;
            }

            // A CloudEvent's fields are its data; an entry published before CloudEvents holds them under MassTransit's "message".
            var data = cloudEvent.ValueKind != JsonValueKind.Object ? default
                : cloudEvent.TryGetProperty("data", out var fields) && fields.ValueKind == JsonValueKind.Object ? fields
                : cloudEvent.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object ? message
                : default;
            await _entries.Writer.WriteAsync(new StreamEntry(offset, data, cloudEvent, body, delivery.BasicProperties.UserId, delivery.Exchange));
            await _channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await _channel.BasicConsumeAsync(stream, autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
            new Dictionary<string, object?> { ["x-stream-offset"] = OffsetArgument(from) }, consumer, cancellationToken);
    }

    private static object OffsetArgument(StartAt from) => from switch
    {
        StartAt.Next => "next",
        StartAt.Offset o => o.Value,
        StartAt.Time t => new AmqpTimestamp(t.Value.ToUnixTimeSeconds()),
        _ => "first",
    };

    public async ValueTask DisposeAsync()
    {
        _entries.Writer.TryComplete();
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
    }
}

public sealed class StreamNotFoundException(string stream) : Exception($"the broker has no stream queue '{stream}'")
{
    public string Stream { get; } = stream;
}
