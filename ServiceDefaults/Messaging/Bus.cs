using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OAuthAspire.ServiceDefaults.Audit;

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
    public static TBuilder AddAuditedBus<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? consumers = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException($"Connection string '{ConnectionName}' is missing.");

        builder.Services.AddMassTransit(bus =>
        {
            consumers?.Invoke(bus);
            bus.ConfigureHealthCheckOptions(o =>
            {
                o.Name = "rabbitmq-bus";
                o.MinimalFailureStatus = HealthStatus.Degraded;
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString), host => host.PublisherConfirmation = true);
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = false);

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox");
        builder.Services.AddSingleton<IAuditSink>(sp => new OutboxAuditSink(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>()));
        builder.Services.AddHostedService<OutboxRelay>();
        return builder;
    }
}
