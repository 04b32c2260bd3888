using System.Text.Json;
using System.Threading.Channels;
using OAuthAspire.Contracts.Audit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A durable queue bound by the test to the exchange every audit event is published to, read
/// with a real RabbitMQ client. Durable, so it outlives a broker restart.
/// </summary>
public sealed class AuditQueue : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly Channel<JsonElement> _received = Channel.CreateUnbounded<JsonElement>();
    private IConnection? _connection;
    private IChannel? _channel;

    private AuditQueue(string connectionString, string name)
    {
        _connectionString = connectionString;
        Name = name;
    }

    public string Name { get; }

    public static async Task<AuditQueue> BindAsync(string connectionString)
    {
        var queue = new AuditQueue(connectionString, $"test-audit-{Guid.NewGuid():N}");
        await queue.ConnectAsync();
        return queue;
    }

    /// <summary>(Re)connects and consumes; call again after a broker restart.</summary>
    public async Task ConnectAsync()
    {
        await CloseAsync();
        var factory = new ConnectionFactory { Uri = new Uri(_connectionString) };
        _connection = await factory.CreateConnectionAsync();
        _channel = await _connection.CreateChannelAsync();
        // Same declaration as the AppHost's (and MassTransit's for a message type's exchange).
        await _channel.ExchangeDeclareAsync(AuditStream.Exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        await _channel.QueueDeclareAsync(Name, durable: true, exclusive: false, autoDelete: false);
        await _channel.QueueBindAsync(Name, AuditStream.Exchange, "");
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // A CloudEvent: the event's own fields are its data.
            using var cloudEvent = JsonDocument.Parse(delivery.Body);
            _received.Writer.TryWrite(cloudEvent.RootElement.GetProperty("data").Clone());
            return Task.CompletedTask;
        };
        await _channel.BasicConsumeAsync(Name, autoAck: true, consumer);
    }

    /// <summary>Reads events until <paramref name="stop"/> matches one, or the timeout passes.</summary>
    public async Task<List<JsonElement>> ReadUntilAsync(Func<JsonElement, bool> stop, TimeSpan timeout)
    {
        var events = new List<JsonElement>();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var e in _received.Reader.ReadAllAsync(cts.Token))
            {
                events.Add(e);
                if (stop(e))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return events;
    }

    private async Task CloseAsync()
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_channel is { IsOpen: true })
            {
                await _channel.QueueDeleteAsync(Name);
            }
        }
        finally
        {
            await CloseAsync();
        }
    }
}
