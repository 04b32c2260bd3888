using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Users;

/// <summary>
/// Creates the first administrator (user <c>admin</c>, role <c>admin</c>) from the AppHost's
/// generated <c>admin-password</c> parameter when no such user exists. Never overwrites it later.
/// </summary>
public sealed class AdminBootstrap(UserStore users, Passwords passwords, IAuditSink audit, IConfiguration configuration, ILogger<AdminBootstrap> logger)
    : BackgroundService
{
    public const string AdminUserName = "admin";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CreateAsync(stoppingToken);
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

        if (await users.FindByNameAsync(AdminUserName, stoppingToken) is not null)
        {
            return;
        }

        var admin = new UserRecord { SysId = UserRules.NewSysId(), UserName = AdminUserName, Email = null, FirstName = "System", LastName = "Administrator", PasswordHash = passwords.Hash(password), Roles = ["admin"], Active = true };
        try
        {
            await users.DataSource.InTransactionAsync(async tx =>
            {
                await UserStore.InsertAsync(tx, admin, stoppingToken);
                await audit.WriteAsync(tx, new UserCreated(admin.SysId, admin.UserName, admin.Roles, true) { Reason = "bootstrap" }, stoppingToken);
            }, stoppingToken);
            logger.LogInformation("Created the first administrator '{UserName}'", AdminUserName);
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            // Another replica created it first.
        }
    }
}
