using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>The PostgreSQL server (one database per service) and the RabbitMQ broker.</summary>
public sealed class OAuthInfrastructure
{
    private readonly Func<string, string, IResourceBuilder<IResourceWithConnectionString>> _addDatabase;

    private OAuthInfrastructure(InfrastructureSettings settings,
        IResourceBuilder<IResourceWithConnectionString> broker,
        Func<string, string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
    {
        Settings = settings;
        Broker = broker;
        _addDatabase = addDatabase;
    }

    public InfrastructureSettings Settings { get; }

    public IResourceBuilder<IResourceWithConnectionString> Broker { get; }

    /// <summary>Adds the database <paramref name="databaseName"/> as connection <paramref name="connectionName"/>.</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string connectionName, string databaseName) =>
        _addDatabase(connectionName, databaseName);

    public static OAuthInfrastructure Add(IDistributedApplicationBuilder builder)
    {
        var settings = InfrastructureSettings.From(builder);
        var secret = new GenerateParameterDefault { MinLength = 32, Special = false };

        switch (settings.Mode)
        {
            case InfrastructureMode.Container:
            {
                var postgresPassword = builder.AddParameter("postgres-password", secret, secret: true, persist: true);
                var rabbitUser = builder.AddParameter("rabbitmq-user", "oauth", publishValueAsDefault: true);
                var rabbitPassword = builder.AddParameter("rabbitmq-password", secret, secret: true, persist: true);
                var postgres = builder.AddPostgres("postgres", password: postgresPassword).WithDataVolume("oauthaspire-postgres");
                var rabbit = builder.AddRabbitMQ("rabbitmq", rabbitUser, rabbitPassword).WithDataVolume("oauthaspire-rabbitmq");
                return new OAuthInfrastructure(settings, rabbit, (connection, database) => postgres.AddDatabase(connection, database));
            }

            case InfrastructureMode.Local:
            {
                var postgresPassword = builder.AddParameter("postgres-password", secret, secret: true, persist: true);
                var rabbitUser = builder.AddParameter("rabbitmq-user", "oauth", publishValueAsDefault: true);
                var rabbitPassword = builder.AddParameter("rabbitmq-password", secret, secret: true, persist: true);
                var postgres = builder.AddLocalPostgres("postgres", postgresPassword, settings);
                var rabbit = builder.AddLocalRabbitMq("rabbitmq", rabbitUser, rabbitPassword, settings);
                return new OAuthInfrastructure(settings, rabbit,
                    (connection, database) => AddChildDatabase(builder, connection, database, postgres, readyWithServer: true));
            }

            default:
            {
                // Existing servers: ConnectionStrings:postgres (server level) and ConnectionStrings:rabbitmq.
                var postgres = builder.AddConnectionString("postgres");
                var rabbit = builder.AddConnectionString("rabbitmq");
                return new OAuthInfrastructure(settings, rabbit,
                    (connection, database) => AddChildDatabase(builder, connection, database, postgres, readyWithServer: false));
            }
        }
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddChildDatabase(
        IDistributedApplicationBuilder builder, string connectionName, string databaseName,
        IResourceBuilder<IResourceWithConnectionString> server, bool readyWithServer)
    {
        var database = builder.AddResource(new ServiceDatabaseResource(connectionName, databaseName, server.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("database", databaseName)],
            })
            .WithParentRelationship(server)
            .ExcludeFromManifest();

        async Task MarkRunning(IServiceProvider services)
        {
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            await notifications.PublishUpdateAsync(database.Resource, s => s with { State = KnownResourceStates.Running });
        }

        if (readyWithServer)
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, (e, _) => MarkRunning(e.Services));
        }
        else
        {
            builder.Eventing.Subscribe<InitializeResourceEvent>(database.Resource, (e, _) => MarkRunning(e.Services));
        }

        return database;
    }
}
