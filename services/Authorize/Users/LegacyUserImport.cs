using OAuthAspire.ServiceDefaults;
using Dapper;
using Google.Protobuf;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OAuthAspire.Contracts.Grpc.Directory;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Authorize.Users;

/// <summary>A user row as this service stored it before the directory service existed.</summary>
internal sealed record LegacyUserRow
{
    public string SysId { get; init; } = "";
    public string UserName { get; init; } = "";
    public string? Email { get; init; }
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string? PasswordHash { get; init; }
    public string[] Roles { get; init; } = [];
    public bool Active { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>A failed-password count as this service stored it (keyed by the AuditHash keyed hash, which the directory shares).</summary>
internal sealed record LegacyLoginFailureRow
{
    public byte[] NameKey { get; init; } = [];
    public int Failures { get; init; }
    public DateTime WindowStarted { get; init; }
    public DateTime? LockedUntil { get; init; }
}

/// <summary>
/// The users moved to the directory service; an installation that had them here keeps them under
/// <c>legacy_*</c> (migration 0005). At start this service streams them to the directory's
/// ImportUsers (password hashes, roles, state, failed-password counts, whether the first
/// administrator was created), which inserts what it lacks, and then drops the legacy tables. A fresh
/// install hands over nothing the same way. Retries until the directory answers; the service is not
/// ready before (<see cref="IStartupWork"/>), so no sign-in meets a directory that
/// lacks its users. Repeating a hand-over (a crash before the drop) changes nothing.
/// </summary>
public sealed class LegacyUserImport(NpgsqlDataSource dataSource, IServiceProvider services, ILogger<LegacyUserImport> logger) : BackgroundService, IStartupWork
{
    // The directory reads the whole stream, then settles it in one transaction: more than a call's default deadline.
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    private static readonly string[] LegacyTables = ["legacy_app_user", "legacy_login_failure", "legacy_bootstrap_done"];

    /// <summary>Readiness: the directory holds every user this database held (or there were none to hand over).</summary>
    public bool Done { get; private set; }

    public string Pending => "handing the legacy users over to the directory";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await HandOverAsync(stoppingToken);
                Done = true;
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Handing the legacy users over to the directory failed (attempt {Attempt}); retrying: {Reason}", attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 10)), stoppingToken);
            }
        }
    }

    private async Task HandOverAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var present = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(@LegacyTables)", new { LegacyTables },
            cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        if (present.Count == 0)
        {
            // Handed over at an earlier start.
            return;
        }

        var hasUsers = present.Contains("legacy_app_user");
        var count = hasUsers
            ? await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM legacy_app_user", cancellationToken: cancellationToken))
            : 0;
        var bootstrapped = present.Contains("legacy_bootstrap_done") && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM legacy_bootstrap_done)", cancellationToken: cancellationToken));
        logger.LogInformation("Handing {Count} user(s) held in this database over to the directory (first administrator created before: {Bootstrapped})",
            count, bootstrapped);

        using var call = services.GetRequiredService<DirectoryClient>().ImportUsers(deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
        if (bootstrapped)
        {
            await call.RequestStream.WriteAsync(new ImportUsersRequest { Bootstrapped = true }, cancellationToken);
        }

        var sent = 0;
        if (hasUsers)
        {
            await foreach (var row in connection.QueryUnbufferedAsync<LegacyUserRow>("""
                SELECT sys_id, user_name, email, first_name, last_name, password_hash, roles, active, created_at, updated_at
                FROM legacy_app_user ORDER BY created_at, sys_id
                """).WithCancellation(cancellationToken))
            {
                await call.RequestStream.WriteAsync(new ImportUsersRequest { User = ToMessage(row) }, cancellationToken);
                if (++sent % 1000 == 0)
                {
                    logger.LogInformation("Handed {Sent} of {Count} user(s) over to the directory", sent, count);
                }
            }
        }

        if (present.Contains("legacy_login_failure"))
        {
            await foreach (var row in connection.QueryUnbufferedAsync<LegacyLoginFailureRow>(
                "SELECT name_key, failures, window_started, locked_until FROM legacy_login_failure").WithCancellation(cancellationToken))
            {
                await call.RequestStream.WriteAsync(new ImportUsersRequest
                {
                    LoginFailure = new ImportedLoginFailure
                    {
                        NameKey = ByteString.CopyFrom(row.NameKey),
                        Failures = row.Failures,
                        WindowStarted = Microseconds(row.WindowStarted),
                        LockedUntil = row.LockedUntil is { } until ? Microseconds(until) : 0,
                    },
                }, cancellationToken);
            }
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call;
        if (reply.Skipped > 0)
        {
            // Already there (an earlier hand-over that did not get as far as the drop), or a name or email the directory holds for another user.
            logger.LogWarning("The directory already held {Skipped} of the {Sent} user(s) handed over (same sys_id, user name or email): kept its own", reply.Skipped, sent);
        }

        await connection.ExecuteAsync(new CommandDefinition("DROP TABLE IF EXISTS legacy_app_user, legacy_login_failure, legacy_bootstrap_done",
            cancellationToken: cancellationToken));
        logger.LogInformation("Handed {Sent} user(s) over to the directory ({Imported} new, {Failures} failed-password count(s)); dropped the legacy user tables",
            sent, reply.Imported, reply.LoginFailures);
    }

    private static ImportedUser ToMessage(LegacyUserRow row)
    {
        var user = new ImportedUser
        {
            SysId = row.SysId,
            UserName = row.UserName,
            Email = row.Email ?? "",
            FirstName = row.FirstName,
            LastName = row.LastName,
            PasswordHash = row.PasswordHash ?? "",
            Active = row.Active,
            CreatedAt = Microseconds(row.CreatedAt),
            UpdatedAt = Microseconds(row.UpdatedAt),
        };
        user.Roles.AddRange(row.Roles);
        return user;
    }

    private static long Microseconds(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks / 10;
}
