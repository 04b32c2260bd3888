using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Each service reaches PostgreSQL and RabbitMQ with credentials of its own that open only its own
/// database, exchanges and queues; auditors read the stream with an account that can do nothing else.
/// The credentials tested are exactly those the AppHost hands each service's process.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LeastPrivilegeTests(SystemFixture system)
{
    /// <summary>Every process with a database, by resource name, with the name of its database.</summary>
    private static readonly (string Service, string Database)[] Databases =
    [
        ("edge", "edge"), ("authorize", "authorize"), ("token", "token"), ("client-registry", "clientregistry"),
        ("federation-trust", "federationtrust"), ("scope-policy", "scopepolicy"), ("directory", "directory"), ("table-api", "tableapi"),
        ("audit-log", "auditlog"),
    ];

    private Task<IReadOnlyDictionary<string, string>> EnvironmentOfAsync(string service) => system.ProcessEnvironmentAsync(service);

    [Fact]
    public async Task EachServicesDatabaseLoginOpensOnlyItsOwnDatabaseAndCanCreateNeitherRolesNorDatabases()
    {
        var wrong = new List<string>();
        foreach (var (service, database) in Databases)
        {
            var connectionString = (await EnvironmentOfAsync(service))[$"ConnectionStrings__{database}db"];
            var own = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
            Assert.Equal(database, own.Database);
            Assert.NotEqual("postgres", own.Username);

            await using (var connection = new NpgsqlConnection(own.ConnectionString))
            {
                await connection.OpenAsync();
                await using var role = new NpgsqlCommand(
                    "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user", connection);
                await using (var reader = await role.ExecuteReaderAsync())
                {
                    Assert.True(await reader.ReadAsync());
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        if (reader.GetBoolean(i))
                        {
                            wrong.Add($"{service}: {reader.GetName(i)}");
                        }
                    }
                }

                // It owns its tables: the migrations ran as this role.
                await using var owner = new NpgsqlCommand(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user", connection);
                if ((long)(await owner.ExecuteScalarAsync())! != 0)
                {
                    wrong.Add($"{service}: tables owned by another role");
                }

                foreach (var statement in new[] { $"CREATE ROLE intruder_{Guid.NewGuid():N}", $"CREATE DATABASE intruder_{Guid.NewGuid():N}" })
                {
                    try
                    {
                        await using var command = new NpgsqlCommand(statement, connection);
                        await command.ExecuteNonQueryAsync();
                        wrong.Add($"{service}: {statement} succeeded");
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                    {
                    }
                }
            }

            foreach (var other in Databases.Select(d => d.Database).Where(d => d != database).Append("postgres").Append("template1"))
            {
                try
                {
                    await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(own.ConnectionString) { Database = other }.ConnectionString);
                    await connection.OpenAsync();
                    wrong.Add($"{service} connected to {other}");
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidAuthorizationSpecification)
                {
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public async Task TheAuditorReadsTheStreamFromItsFirstOffsetAndCanChangeNothing()
    {
        var admin = new Uri((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var auditor = new UriBuilder(admin) { UserName = "auditor", Password = await system.ParameterAsync("rabbitmq-auditor-password") }.Uri;

        // It reads, from the start, what every service published, each event carrying its publisher's user id.
        var read = await ReadStreamAsync(auditor, 40);
        Assert.NotEmpty(read);
        foreach (var (userId, body) in read)
        {
            using var cloudEvent = JsonDocument.Parse(body);
            var service = cloudEvent.RootElement.GetProperty("source").GetString()!["/oauthaspire/".Length..];
            Assert.Equal(service, cloudEvent.RootElement.GetProperty("data").GetProperty(AuditStream.Fields.Service).GetString());
            // The audit tests write through scope-policy's outbox under writer names of their own (scope-policy-...).
            Assert.True(service == userId || service.StartsWith(userId + "-", StringComparison.Ordinal), $"{service}'s event published by {userId}");
        }

        var refusals = await RefusedAsync(auditor, ["publish", "declare exchange", "declare queue", "bind", "purge", "delete stream", "delete exchange"]);
        Assert.True(refusals.Count == 0, string.Join('\n', refusals));
    }

    [Fact]
    public async Task NoServicesBrokerLoginCanDeleteTheStreamOrPublishAnotherServicesEvents()
    {
        var wrong = new List<string>();
        foreach (var service in InternalCalls.Services)
        {
            var environment = await EnvironmentOfAsync(service);
            var broker = new Uri(environment["ConnectionStrings__rabbitmq"]);
            Assert.Equal(service, Uri.UnescapeDataString(broker.UserInfo.Split(':')[0]));
            wrong.AddRange((await RefusedAsync(broker, ["delete stream", "delete exchange", "purge", "bind"])).Select(w => $"{service}: {w}"));
            // The client registry alone announces client changes, which every cache believes.
            if (service != "client-registry")
            {
                wrong.AddRange((await RefusedAsync(broker, ["publish ClientUpdated"])).Select(w => $"{service}: {w}"));
            }

            // Only the token service writes to the stream as the token service.
            if (service != "token")
            {
                wrong.AddRange((await RefusedAsync(broker, ["publish as token"])).Select(w => $"{service}: {w}"));
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    /// <summary>Reads up to <paramref name="count"/> entries of the audit stream from its first offset: (user id, body).</summary>
    private static async Task<List<(string? UserId, string Body)>> ReadStreamAsync(Uri broker, int count)
    {
        var factory = new ConnectionFactory { Uri = broker };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 100, false);
        var read = new List<(string?, string)>();
        var done = new TaskCompletionSource();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            lock (read)
            {
                if (read.Count < count)
                {
                    read.Add((delivery.BasicProperties.UserId, Encoding.UTF8.GetString(delivery.Body.Span)));
                }

                if (read.Count >= count)
                {
                    done.TrySetResult();
                }
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await channel.BasicConsumeAsync(AuditStream.StreamName, autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
            arguments: new Dictionary<string, object?> { ["x-stream-offset"] = "first" }, consumer);
        await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        lock (read)
        {
            return [.. read];
        }
    }

    /// <summary>Tries each named action with the login; lists those the broker did not refuse.</summary>
    private static async Task<List<string>> RefusedAsync(Uri broker, string[] actions)
    {
        var factory = new ConnectionFactory { Uri = broker };
        var allowed = new List<string>();
        foreach (var action in actions)
        {
            // A connection each: some refusals (a stream purge) close the whole connection.
            await using var connection = await factory.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var scratch = $"intruder-{Guid.NewGuid():N}";
            try
            {
                switch (action)
                {
                    case "publish":
                        await channel.BasicPublishAsync(AuditStream.Exchange, "", true, new BasicProperties(), Encoding.UTF8.GetBytes("{}"));
                        break;
                    case "publish as token":
                        await channel.BasicPublishAsync(AuditStream.ServiceExchange("token"), "", true, new BasicProperties(), Encoding.UTF8.GetBytes("{}"));
                        break;
                    case "publish ClientUpdated":
                        await channel.BasicPublishAsync(AuditStream.EventExchange(nameof(ClientUpdated)), "", false, new BasicProperties(), Encoding.UTF8.GetBytes("{}"));
                        break;
                    case "declare exchange":
                        await channel.ExchangeDeclareAsync(scratch, ExchangeType.Fanout, durable: false, autoDelete: true);
                        break;
                    case "declare queue":
                        await channel.QueueDeclareAsync(scratch, durable: false, exclusive: false, autoDelete: true);
                        break;
                    case "bind":
                        await channel.QueueBindAsync(AuditStream.StreamName, AuditStream.EventExchange(nameof(TokenIssued)), "intruder");
                        break;
                    case "purge":
                        await channel.QueuePurgeAsync(AuditStream.StreamName);
                        break;
                    case "delete stream":
                        await channel.QueueDeleteAsync(AuditStream.StreamName);
                        break;
                    case "delete exchange":
                        await channel.ExchangeDeleteAsync(AuditStream.Exchange);
                        break;
                }

                allowed.Add(action);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 403 or 406 or 540)
            {
                // 403 ACCESS_REFUSED; a stream is never purged (540 NOT_IMPLEMENTED, or 406).
            }
            catch (PublishException)
            {
                // A publish the broker refused to confirm.
            }
            finally
            {
                try
            {
                await channel.DisposeAsync();
            }
            catch (OperationInterruptedException)
            {
            }
            }
        }

        return allowed;
    }
}
