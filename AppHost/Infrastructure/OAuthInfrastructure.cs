using System.Globalization;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// The PostgreSQL server (one database per service) and the RabbitMQ broker. Only the AppHost uses
/// their administrator accounts: each service gets a database login and a broker login of its own,
/// which the AppHost provisions before the service starts (in every run mode; in a published
/// manifest that is the deployer's job).
/// </summary>
public sealed class OAuthInfrastructure
{
    private static readonly GenerateParameterDefault GeneratedSecret = new() { MinLength = 32, Special = false };

    private readonly IDistributedApplicationBuilder _builder;
    private readonly IResourceBuilder<IResourceWithConnectionString> _postgres;
    private readonly ReferenceExpression _postgresAddress;
    private readonly DatabaseProvisioning _databases;
    private readonly string _brokerScheme;
    private readonly ReferenceExpression _brokerAddress;
    private readonly BrokerProvisioning _brokerLogins;

    /// <summary>True for servers the AppHost runs (provisioned when ready), false for servers it was given (provisioned at start).</summary>
    private readonly bool _serversRunHere;

    private OAuthInfrastructure(IDistributedApplicationBuilder builder, InfrastructureSettings settings,
        IResourceBuilder<IResourceWithConnectionString> postgres, ReferenceExpression postgresAddress,
        IResourceBuilder<IResourceWithConnectionString> broker, string brokerScheme, ReferenceExpression brokerAddress, string virtualHost,
        ReferenceExpression brokerManagement, bool serversRunHere)
    {
        _builder = builder;
        Settings = settings;
        _postgres = postgres;
        _postgresAddress = postgresAddress;
        Broker = broker;
        _brokerScheme = brokerScheme;
        _brokerAddress = brokerAddress;
        _serversRunHere = serversRunHere;

        var auditorPassword = builder.AddParameter("rabbitmq-auditor-password", GeneratedSecret, secret: true, persist: true);
        _databases = new DatabaseProvisioning(postgres.Resource);
        _brokerLogins = new BrokerProvisioning(broker.Resource, brokerManagement, virtualHost, auditorPassword.Resource,
            AuditStreamSettings.From(builder.Configuration));
        if (serversRunHere && !builder.ExecutionContext.IsPublishMode)
        {
            _databases.RunWhenReady(builder, postgres.Resource);
            _brokerLogins.RunWhenReady(builder, broker.Resource);
        }
    }

    public InfrastructureSettings Settings { get; }

    /// <summary>The broker's administrator connection: the AppHost's readiness check and provisioning (and tests), never a service.</summary>
    public IResourceBuilder<IResourceWithConnectionString> Broker { get; }

    /// <summary>
    /// The database <paramref name="databaseName"/> as connection <paramref name="connectionName"/>, reached
    /// with the login role of the same name (password: parameter <c>db-password-&lt;database&gt;</c>).
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string connectionName, string databaseName)
    {
        var password = _builder.AddParameter($"db-password-{databaseName}", GeneratedSecret, secret: true, persist: true);
        var database = new ServiceDatabaseResource(connectionName, databaseName, _postgresAddress, password.Resource);
        _databases.Add(database);
        return Waiting(_builder.AddResource(database), "PostgresDatabase", ("database", databaseName), _postgres, _databases);
    }

    /// <summary>
    /// The broker login of <paramref name="service"/> (user = the service's name, password: parameter
    /// <c>rabbitmq-password-&lt;service&gt;</c>), as resource <c>rabbitmq-&lt;service&gt;</c>.
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddBrokerLogin(string service)
    {
        // Fails early for a service whose permissions are not defined.
        _ = BrokerPermissions.For(service, AuditStreamSettings.From(_builder.Configuration).Name);
        var password = _builder.AddParameter($"rabbitmq-password-{service}", GeneratedSecret, secret: true, persist: true);
        var login = new ServiceBrokerLoginResource($"rabbitmq-{service}", service, _brokerScheme, _brokerAddress, password.Resource);
        _brokerLogins.Add(login);
        return Waiting(_builder.AddResource(login), "RabbitMQLogin", ("user", service), Broker, _brokerLogins);
    }

    /// <summary>Waiting until provisioned; in a manifest, a connection string built from its parameters.</summary>
    private IResourceBuilder<IResourceWithConnectionString> Waiting<TResource>(IResourceBuilder<TResource> resource, string type,
        (string Name, string Value) property, IResourceBuilder<IResourceWithConnectionString> server, Provisioning<TResource> provisioning)
        where TResource : class, IResourceWithConnectionString
    {
        resource.WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = type,
                State = KnownResourceStates.Waiting,
                Properties = [new(property.Name, property.Value)],
            })
            .WithParentRelationship(server);
        if (!_serversRunHere && !_builder.ExecutionContext.IsPublishMode)
        {
            provisioning.RunAtStart(_builder, resource.Resource);
        }

        return resource;
    }

    public static OAuthInfrastructure Add(IDistributedApplicationBuilder builder)
    {
        var settings = InfrastructureSettings.From(builder);
        switch (settings.Mode)
        {
            case InfrastructureMode.Container:
            {
                var postgresPassword = builder.AddParameter("postgres-password", GeneratedSecret, secret: true, persist: true);
                var rabbitUser = builder.AddParameter("rabbitmq-user", "oauth", publishValueAsDefault: true);
                var rabbitPassword = builder.AddParameter("rabbitmq-password", GeneratedSecret, secret: true, persist: true);
                var postgres = builder.AddPostgres("postgres", password: postgresPassword).WithDataVolume("oauthaspire-postgres");
                var rabbit = builder.AddRabbitMQ("rabbitmq", rabbitUser, rabbitPassword).WithManagementPlugin().WithDataVolume("oauthaspire-rabbitmq");
                var management = rabbit.Resource.ManagementEndpoint;
                return new OAuthInfrastructure(builder, settings,
                    postgres, ReferenceExpression.Create($"Host={postgres.Resource.Host};Port={postgres.Resource.Port}"),
                    rabbit, "amqp", ReferenceExpression.Create($"{rabbit.Resource.Host}:{rabbit.Resource.Port}/"), "/",
                    ReferenceExpression.Create(
                        $"http://{rabbitUser}:{rabbitPassword}@{management.Property(EndpointProperty.Host)}:{management.Property(EndpointProperty.Port)}/"),
                    serversRunHere: true);
            }

            case InfrastructureMode.Local:
            {
                var postgresPassword = builder.AddParameter("postgres-password", GeneratedSecret, secret: true, persist: true);
                var rabbitUser = builder.AddParameter("rabbitmq-user", "oauth", publishValueAsDefault: true);
                var rabbitPassword = builder.AddParameter("rabbitmq-password", GeneratedSecret, secret: true, persist: true);
                var postgres = builder.AddLocalPostgres("postgres", postgresPassword, settings);
                var rabbit = builder.AddLocalRabbitMq("rabbitmq", rabbitUser, rabbitPassword, settings);
                return new OAuthInfrastructure(builder, settings,
                    postgres, ReferenceExpression.Create($"Host=127.0.0.1;Port={Number(settings.PostgresPort)}"),
                    rabbit, "amqp", ReferenceExpression.Create($"127.0.0.1:{Number(settings.RabbitMqPort)}/"), "/",
                    rabbit.Resource.ManagementExpression, serversRunHere: true);
            }

            default:
            {
                // Existing servers, given as administrator connections: ConnectionStrings:postgres
                // (server level), ConnectionStrings:rabbitmq (AMQP URI) and ConnectionStrings:rabbitmq-management
                // (http://user:password@host:15672/). The services' logins point at the same hosts.
                var postgres = builder.AddConnectionString("postgres");
                var rabbit = builder.AddConnectionString("rabbitmq");
                var management = builder.AddConnectionString("rabbitmq-management");
                var (scheme, address, virtualHost) = BrokerAddressOf(builder.Configuration.GetConnectionString("rabbitmq"));
                return new OAuthInfrastructure(builder, settings,
                    postgres, ReferenceExpression.Create($"{PostgresAddressOf(builder.Configuration.GetConnectionString("postgres"))}"),
                    rabbit, scheme, ReferenceExpression.Create($"{address}"), virtualHost,
                    management.Resource.ConnectionStringExpression, serversRunHere: false);
            }
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The administrator's connection string without its login: where the server is, and how to talk to it (SSL...).</summary>
    private static string PostgresAddressOf(string? administrator)
    {
        var address = new NpgsqlConnectionStringBuilder(administrator)
        {
            Username = null,
            Password = null,
            Database = null,
            Passfile = null,
        };
        return address.ConnectionString;
    }

    /// <summary>The administrator's AMQP URI split around its user info: scheme, <c>host[:port]/vhost</c>, and the virtual host.</summary>
    private static (string Scheme, string Address, string VirtualHost) BrokerAddressOf(string? administrator)
    {
        if (!Uri.TryCreate(administrator, UriKind.Absolute, out var uri))
        {
            // Reported when the connection string is resolved; provisioning then fails with it.
            return ("amqp", "localhost:5672/", "/");
        }

        var path = uri.AbsolutePath;
        var virtualHost = path is "" or "/" ? "/" : Uri.UnescapeDataString(path[1..]);
        return (uri.Scheme, uri.Authority + (path.Length == 0 ? "/" : path), virtualHost);
    }
}
