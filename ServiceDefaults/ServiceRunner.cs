using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ServiceDefaults;

public static class ServiceRunner
{
    /// <summary>Migrates the service's database (waiting for PostgreSQL if needed), then serves.</summary>
    public static async Task RunServiceAsync(this WebApplication app)
    {
        var migrator = app.Services.GetService<DatabaseMigrator>();
        if (migrator is not null)
        {
            await migrator.MigrateAsync(app.Lifetime.ApplicationStopping);
        }

        await app.RunAsync();
    }
}
