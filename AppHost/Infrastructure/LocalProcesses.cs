using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>PostgreSQL run from the Debian package by <c>scripts/postgres.sh</c>.</summary>
public sealed class LocalPostgresResource(string name, string workingDirectory, ParameterResource password, int port)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public int Port => port;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username=postgres;Password={password}");
}

/// <summary>RabbitMQ run from the Debian package by <c>scripts/rabbitmq.sh</c>, with its management plugin.</summary>
public sealed class LocalRabbitMqResource(string name, string workingDirectory, ParameterResource user, ParameterResource password, int port, int managementPort)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public int Port => port;

    /// <summary>The management HTTP API, with the administrator's credentials (the AppHost provisions through it).</summary>
    public ReferenceExpression ManagementExpression =>
        ReferenceExpression.Create($"http://{user}:{password}@127.0.0.1:{managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{user}:{password}@127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/");
}

internal static class LocalProcesses
{
    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, InfrastructureSettings settings)
    {
        var postgres = new LocalPostgresResource(name, ScriptsDirectory(builder), password.Resource, settings.PostgresPort);
        var healthCheck = $"{name}-ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            _ => new DelegateHealthCheck(ct => ReadinessChecks.PostgresAsync(postgres, ct)), null, null));

        return builder.AddResource(postgres)
            .WithArgs("postgres.sh")
            .WithEnvironment("OAUTH_DATA_DIR", settings.DataDirectory)
            .WithEnvironment("OAUTH_PG_PORT", settings.PostgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("OAUTH_PG_PASSWORD", password)
            .WithEndpoint(port: settings.PostgresPort, targetPort: settings.PostgresPort, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck)
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalRabbitMqResource> AddLocalRabbitMq(
        this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> user, IResourceBuilder<ParameterResource> password, InfrastructureSettings settings)
    {
        // The Erlang port mapper runs as its own resource: started by RabbitMQ, it would outlive
        // the AppHost as a daemon.
        var epmdPort = InfrastructureSettings.PortOrFree(settings.RabbitMqPort == 56720 ? 56721 : 0);
        var distPort = InfrastructureSettings.PortOrFree(settings.RabbitMqPort == 56720 ? 56722 : 0);
        var managementPort = InfrastructureSettings.PortOrFree(settings.RabbitMqPort == 56720 ? 56723 : 0);
        var epmdCheck = $"{name}-epmd-ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(epmdCheck,
            _ => new DelegateHealthCheck(ct => ReadinessChecks.TcpAsync(epmdPort, ct)), null, null));
        var epmd = builder.AddExecutable($"{name}-epmd", "epmd", ScriptsDirectory(builder),
                "-address", "127.0.0.1", "-port", epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHealthCheck(epmdCheck)
            .ExcludeFromManifest();

        var rabbit = new LocalRabbitMqResource(name, ScriptsDirectory(builder), user.Resource, password.Resource, settings.RabbitMqPort, managementPort);
        var healthCheck = $"{name}-ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheck,
            _ => new DelegateHealthCheck(ct => ReadinessChecks.RabbitMqAsync(rabbit, ct)), null, null));

        return builder.AddResource(rabbit)
            .WithArgs("rabbitmq.sh")
            .WithEnvironment("OAUTH_DATA_DIR", settings.DataDirectory)
            .WithEnvironment("OAUTH_AMQP_PORT", settings.RabbitMqPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("OAUTH_DIST_PORT", distPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("OAUTH_EPMD_PORT", epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("OAUTH_MANAGEMENT_PORT", managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("OAUTH_RABBITMQ_USER", user)
            .WithEnvironment("OAUTH_RABBITMQ_PASSWORD", password)
            .WithEndpoint(port: settings.RabbitMqPort, targetPort: settings.RabbitMqPort, scheme: "amqp", name: "amqp", isProxied: false)
            .WithEndpoint(port: managementPort, targetPort: managementPort, scheme: "http", name: "management", isProxied: false)
            .WithHealthCheck(healthCheck)
            .WaitFor(epmd)
            .ExcludeFromManifest();
    }

    private static string ScriptsDirectory(IDistributedApplicationBuilder builder) =>
        Path.Combine(builder.AppHostDirectory, "Infrastructure", "scripts");

    private sealed class DelegateHealthCheck(Func<CancellationToken, Task<HealthCheckResult>> check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            check(cancellationToken);
    }
}
