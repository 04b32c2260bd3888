using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>Registers a service's own PostgreSQL database: data source, health check, migrations.</summary>
public static class ServiceDatabase
{
    /// <param name="connectionName">The Aspire connection name, e.g. <c>tokendb</c>.</param>
    /// <param name="migrations">The assembly holding the service's embedded <c>Migrations/*.sql</c>.</param>
    public static TBuilder AddServiceDatabase<TBuilder>(this TBuilder builder, string connectionName, Assembly migrations)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing.");

        // snake_case columns map to PascalCase members without an alias in every query.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        builder.AddNpgsqlDataSource(connectionName);
        builder.Services.AddSingleton(sp => new DatabaseMigrator(
            connectionString,
            [typeof(ServiceDatabase).Assembly, migrations],
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<DatabaseMigrator>>()));
        return builder;
    }
}
