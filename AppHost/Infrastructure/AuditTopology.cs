using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OAuthAspire.Contracts.Audit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>Where auditors read: one RabbitMQ stream queue holding every audit event (AppHost configuration <c>Audit:Stream</c>).</summary>
public sealed record AuditStreamSettings(string Name, string MaxAge, long MaxLengthBytes, long MaxSegmentSizeBytes)
{
    public static AuditStreamSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Audit:Stream");
        return new AuditStreamSettings(
            section["Name"] is { Length: > 0 } name ? name : AuditStream.StreamName,
            // Oldest data kept, in RabbitMQ's x-max-age units (Y, M, D, h, m, s).
            section["MaxAge"] is { Length: > 0 } maxAge ? maxAge : "90D",
            // Largest total size kept; retention drops whole segments, oldest first.
            section.GetValue("MaxLengthBytes", 5L * 1024 * 1024 * 1024),
            section.GetValue("MaxSegmentSizeBytes", 64L * 1024 * 1024));
    }
}

/// <summary>
/// Declares, as the broker's administrator, everything audit events travel through: a durable fanout
/// exchange per service (<see cref="AuditStream.ServiceExchange"/>, where its relay publishes CloudEvents),
/// each bound to <see cref="AuditStream.Exchange"/>, which feeds the stream; and a durable fanout exchange
/// per event type (the one MassTransit publishes that type to, for the services that act on it), which
/// does not feed the stream (a broker provisioned before CloudEvents has those bindings taken away).
/// The services' logins can neither declare nor bind these exchanges or the stream. Idempotent.
/// </summary>
internal static class AuditTopology
{
    public static async Task DeclareAsync(Uri broker, AuditStreamSettings stream, IReadOnlyList<string> services, ILogger logger, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = "oauthaspire-apphost-provisioning", AutomaticRecoveryEnabled = false };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            // The same declaration MassTransit makes for a message type's exchange (or it would fail on it).
            await channel.ExchangeDeclareAsync(AuditStream.Exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        }

        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(stream.Name, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "stream",
                ["x-max-age"] = stream.MaxAge,
                ["x-max-length-bytes"] = stream.MaxLengthBytes,
                ["x-stream-max-segment-size-bytes"] = stream.MaxSegmentSizeBytes,
            }, cancellationToken: cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            // The stream exists with other retention: RabbitMQ never changes a queue's arguments in
            // place (a policy can). It still receives every event, so go on.
            logger.LogWarning("Audit stream {Stream} exists with different settings ({Reason}); keeping it as it is",
                stream.Name, e.ShutdownReason.ReplyText);
        }

        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueBindAsync(stream.Name, AuditStream.Exchange, "", cancellationToken: cancellationToken);
            foreach (var service in services)
            {
                var exchange = AuditStream.ServiceExchange(service);
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                await channel.ExchangeBindAsync(AuditStream.Exchange, exchange, "", cancellationToken: cancellationToken);
            }

            foreach (var type in AuditCatalog.Types.Keys.Order(StringComparer.Ordinal))
            {
                var exchange = AuditStream.EventExchange(type);
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                // MassTransit's envelope never reaches the stream; removing a binding that is not there is no error.
                await channel.ExchangeUnbindAsync(AuditStream.Exchange, exchange, "", cancellationToken: cancellationToken);
            }
        }

        logger.LogInformation("Audit topology ready: {Count} service exchanges bound to {Exchange}, stream {Stream}",
            services.Count.ToString(CultureInfo.InvariantCulture), AuditStream.Exchange, stream.Name);
    }
}
