using OAuthAspire.ServiceDefaults;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary>
/// Creates the first administrator (user <c>admin</c>, role <c>admin</c>) from the AppHost's
/// generated <c>admin-password</c> parameter, once in an installation's life and only into an empty
/// directory: deleting or renaming <c>admin</c> stands, even deleting every user, and the bootstrap
/// password opens nothing again. On an upgrade it runs before the authorize service hands over the
/// installation's users, which then supersede it (<see cref="UserImport"/>).
/// </summary>
public sealed class AdminBootstrap(UserStore users, Passwords passwords, IAuditSink audit, IConfiguration configuration, ILogger<AdminBootstrap> logger)
    : BackgroundService, IStartupWork
{
    public const string AdminUserName = "admin";

    /// <summary>Readiness: whether the first administrator exists or was rightly not created is settled.</summary>
    public bool Done { get; private set; }

    public string Pending => "creating the first administrator";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CreateAsync(stoppingToken);
                Done = true;
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Creating the first administrator failed (attempt {Attempt}): {Reason}", attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    private async Task CreateAsync(CancellationToken stoppingToken)
    {
        var password = configuration["Bootstrap:AdminPassword"];
        if (string.IsNullOrEmpty(password))
        {
            logger.LogWarning("Bootstrap:AdminPassword is not set: no first administrator is created");
            return;
        }

        var admin = new UserRecord { SysId = UserRules.NewSysId(), UserName = AdminUserName, Email = null, FirstName = "System", LastName = "Administrator", PasswordHash = passwords.Hash(password), Roles = ["admin"], Active = true };
        try
        {
            var created = await users.DataSource.InTransactionAsync(async tx =>
            {
                // The marker row is taken once; a second start (or replica) finds it taken.
                var first = await tx.Connection!.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO bootstrap_done (id) VALUES (1) ON CONFLICT DO NOTHING", transaction: tx, cancellationToken: stoppingToken)) == 1;
                if (!first || await UserStore.AnyAsync(tx, stoppingToken))
                {
                    return false;
                }

                await UserStore.InsertAsync(tx, admin, stoppingToken);
                // Named, so that users handed over from an upgraded installation can supersede it (UserImport).
                await tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE bootstrap_done SET admin_sys_id = @SysId WHERE id = 1", new { admin.SysId },
                    tx, cancellationToken: stoppingToken));
                await audit.WriteAsync(tx, new UserCreated(admin.SysId, admin.UserName, admin.Roles, true) { Reason = "bootstrap" }, stoppingToken);
                return true;
            }, stoppingToken);
            if (created)
            {
                logger.LogInformation("Created the first administrator '{UserName}' in the empty directory", AdminUserName);
            }
            else
            {
                logger.LogInformation("This installation has bootstrapped before: no first administrator is created");
            }
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            // Another replica created it first.
        }
    }
}
