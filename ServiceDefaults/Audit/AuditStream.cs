using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>Where auditors read: one RabbitMQ stream queue holding every audit event (configuration <c>Audit:Stream</c>).</summary>
public sealed class AuditStreamOptions
{
    /// <summary>The exchange MassTransit publishes every audit event to (the base type's exchange).</summary>
    public const string Exchange = "OAuthAspire.Contracts.Audit:AuditEvent";

    public string Name { get; set; } = "oauthaspire.audit";

    /// <summary>Oldest data kept, in RabbitMQ's <c>x-max-age</c> units (Y, M, D, h, m, s).</summary>
    public string MaxAge { get; set; } = "90D";

    /// <summary>Largest total size kept; the oldest segments go first.</summary>
    public long MaxLengthBytes { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Retention removes whole segments, so this is its granularity.</summary>
    public long MaxSegmentSizeBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>
/// Declares the audit topology: the fanout exchange every audit event reaches, the durable stream
/// queue with its retention, and the binding between them. Idempotent; every relay runs it before
/// publishing, so the stream exists before the first event and after a broker loses its data.
/// </summary>
public static class AuditStream
{
    public static async Task DeclareAsync(Uri broker, AuditStreamOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = "audit-topology", AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            // The same declaration MassTransit makes for a message type's exchange.
            await channel.ExchangeDeclareAsync(AuditStreamOptions.Exchange, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
        }

        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(options.Name, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "stream",
                ["x-max-age"] = options.MaxAge,
                ["x-max-length-bytes"] = options.MaxLengthBytes,
                ["x-stream-max-segment-size-bytes"] = options.MaxSegmentSizeBytes,
            }, cancellationToken: cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            // The stream exists with other retention: RabbitMQ never changes a queue's arguments in
            // place (a policy can). It still receives every event, so go on.
            logger.LogWarning("Audit stream {Stream} exists with different settings ({Reason}); keeping it as it is",
                options.Name, e.ShutdownReason.ReplyText);
        }

        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueBindAsync(options.Name, AuditStreamOptions.Exchange, "", cancellationToken: cancellationToken);
        }
    }
}
