using System.Security.Cryptography;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.ServiceDefaults.Messaging;

/// <summary>MassTransit on RabbitMQ, wired from the Aspire connection string, plus the audit outbox.</summary>
public static class Bus
{
    public const string ConnectionName = "rabbitmq";

    /// <summary>
    /// Registers the bus (with publisher confirms), the outbox sink and its relay. The service
    /// keeps running and stays healthy while RabbitMQ is down: the bus reports Degraded and the
    /// outbox holds the events until it returns.
    /// </summary>
    /// <param name="instanceConsumers">
    /// Consumers every instance must run (cache invalidation): they share one temporary queue per
    /// process (<c>&lt;service&gt;-instance-&lt;random&gt;</c>), so each replica sees every event, instead of
    /// competing for them.
    /// </param>
    /// <param name="sharedConsumers">
    /// Consumers whose work must happen once per event (revoking grants): a durable queue per
    /// service, named after it, that survives restarts so no event is missed.
    /// </param>
    /// <param name="invalidations">
    /// What each change event drops from the service's caches: one
    /// <see cref="CacheInvalidationConsumer{TEvent}"/> per event type joins the instance consumers.
    /// </param>
    public static TBuilder AddAuditedBus<TBuilder>(this TBuilder builder, Type[] instanceConsumers, Type[] sharedConsumers,
        CacheInvalidation[]? invalidations = null)
        where TBuilder : IHostApplicationBuilder
    {
        instanceConsumers = [.. instanceConsumers, .. CacheInvalidation.Register(builder.Services, invalidations ?? [])];
        // The name its broker login, its audit exchange and its events carry: the AppHost gives it as the
        // service identity (a deployment from the manifest may set no OTEL_SERVICE_NAME).
        var serviceName = builder.Configuration["ServiceIdentity:Name"] is { Length: > 0 } identity ? identity
            : builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException($"Connection string '{ConnectionName}' is missing.");

        builder.Services.AddMassTransit(bus =>
        {
            // No phoning home: these machines have no route out, and an identity server should not.
            bus.DisableUsageTelemetry();
            foreach (var consumer in instanceConsumers)
            {
                bus.AddConsumer(consumer).ExcludeFromConfigureEndpoints();
            }

            foreach (var consumer in sharedConsumers)
            {
                bus.AddConsumer(consumer);
            }

            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(serviceName, false));
            // Nobody consumes Fault<T>, and the service's broker login may not declare its exchanges.
            bus.AddConfigureEndpointsCallback((_, endpoint) => endpoint.PublishFaults = false);
            bus.ConfigureHealthCheckOptions(o =>
            {
                o.Name = "rabbitmq-bus";
                o.MinimalFailureStatus = HealthStatus.Degraded;
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString), host => host.PublisherConfirmation = true);
                // Before anything reads a message type's topology: each type keeps the name it was first given.
                rabbit.MessageTopology.SetEntityNameFormatter(new AuditExchangeNames(rabbit.MessageTopology.EntityNameFormatter));
                // A consumer failing on a transient fault (its database restarting) tries again before giving up.
                rabbit.UseMessageRetry(retry => retry.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500)));
                // The broker login may declare only the AuditEvent subtypes' exchanges: the base
                // exchange, its stream and the bindings are the AppHost's (admin) alone.
                rabbit.Publish<AuditEvent>(p => p.Exclude = true);
                if (instanceConsumers.Length > 0)
                {
                    // Named after the service, as its broker login's permissions require (a temporary
                    // endpoint's name would be the host's); gone when the process is.
                    rabbit.ReceiveEndpoint($"{serviceName}-instance-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", endpoint =>
                    {
                        endpoint.Durable = false;
                        endpoint.AutoDelete = true;
                        endpoint.QueueExpiration = TimeSpan.FromMinutes(1);
                        endpoint.PublishFaults = false;
                        foreach (var consumer in instanceConsumers)
                        {
                            endpoint.ConfigureConsumer(context, consumer);
                        }
                    });
                }

                rabbit.ConfigureEndpoints(context);
            });
        });
        // Caches dropped by events must know when events cannot arrive.
        builder.Services.AddHostedService<CacheEpochMonitor>();
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = false);

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        builder.Services.AddSingleton(new RepeatedRefusals(TimeProvider.System,
            builder.Configuration.GetValue("Audit:RepeatWindow", TimeSpan.FromMinutes(1))));
        builder.Services.AddOptions<AuditChainOptions>().BindConfiguration("Audit:Chains");
        // The audit key (the AppHost's audit-key-<service>) MACs every event and signs the checkpoints.
        builder.Services.AddSingleton(sp => AuditKey.From(sp.GetRequiredService<IConfiguration>()["Audit:Key"],
            allowEphemeral: sp.GetRequiredService<IHostEnvironment>().IsDevelopment()));
        builder.Services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger<AuditChains>();
            return new AuditChains(serviceName,
                sp.GetRequiredService<IConfiguration>()["OAuth:Issuer"] is { Length: > 0 } issuer ? issuer : "http://localhost",
                sp.GetRequiredService<AuditKey>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditChainOptions>>().Value)
            {
                Moved = chain => log.LogError("The head of audit chain {Chain} moved in the database without this process: someone changed audit_chain", chain),
            };
        });
        builder.Services.AddSingleton<IAuditSink>(sp => new OutboxAuditSink(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<AuditChains>(), sp.GetRequiredService<RepeatedRefusals>()));

        builder.Services.AddHostedService<RepeatedRefusalsFlush>();
        builder.Services.AddHostedService<OutboxRelay>();
        // Stopped before the relay: the final checkpoints are then published by it, or by the next relay of this database.
        builder.Services.AddHostedService<AuditCheckpoints>();
        return builder;
    }
}
