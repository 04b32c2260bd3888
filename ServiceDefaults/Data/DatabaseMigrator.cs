using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>
/// Applies the service's embedded SQL scripts with dbup, as the service's own database role. The
/// database and the role are provisioned by the AppHost (the role may neither create databases nor
/// connect to the maintenance database). Waits for PostgreSQL instead of crashing, and holds an
/// advisory lock so that replicas starting together migrate one at a time.
/// </summary>
public sealed class DatabaseMigrator(string connectionString, Assembly[] scriptAssemblies, ILogger<DatabaseMigrator> logger)
{
    // Any constant works: advisory lock ids are scoped to the database.
    private const long MigrationLockId = 0x0A0A_5EED_0001;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await MigrateOnceAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Database not reachable yet (attempt {Attempt}): {Reason}; retrying in {Delay} ms",
                    attempt, e.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
            }
        }
    }

    private async Task MigrateOnceAsync(CancellationToken cancellationToken)
    {
        var upgradeLog = new UpgradeLog(logger);

        // Unpooled: a session lock on a pooled connection would outlive this method on an idle
        // connection in the pool, and hold every other replica's start-up for minutes.
        await using var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockId})", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            Upgrade(upgradeLog);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockId})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private void Upgrade(IUpgradeLog upgradeLog)
    {
        var result = DeployChanges.To.PostgresqlDatabase(connectionString)
            .WithScriptsEmbeddedInAssemblies(scriptAssemblies, name => name.Contains(".Migrations.", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(upgradeLog)
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Migration script {result.ErrorScript?.Name} failed.", result.Error);
        }

        logger.LogInformation("Database ready: {Count} migration script(s) applied", result.Scripts.Count());
    }

    private static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown } => true,
        // Not provisioned yet (a deployment where provisioning runs beside the service): wait for it.
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => true,
        System.Net.Sockets.SocketException => true,
        _ when e.InnerException is not null => IsTransient(e.InnerException),
        _ => false,
    };

    /// <summary>dbup's log, routed to the service's logger (and so to the dashboard).</summary>
    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace("{Message}", Format(format, args));

        public void LogDebug(string format, params object[] args) => logger.LogDebug("{Message}", Format(format, args));

        public void LogInformation(string format, params object[] args) => logger.LogInformation("{Message}", Format(format, args));

        public void LogWarning(string format, params object[] args) => logger.LogWarning("{Message}", Format(format, args));

        public void LogError(string format, params object[] args) => logger.LogError("{Message}", Format(format, args));

        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "{Message}", Format(format, args));

        private static string Format(string format, object[] args) =>
            args.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
    }
}
