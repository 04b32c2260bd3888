using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary>A user as the authorize service stored it, with its timestamps.</summary>
public sealed record LegacyUser(UserRecord User, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>A failed-password count as the authorize service stored it (the key is the same keyed hash).</summary>
public sealed record LegacyLoginFailure(byte[] NameKey, int Failures, DateTime WindowStarted, DateTime? LockedUntil);

/// <summary>What one hand-over brought: the users, the counts, and whether the installation had bootstrapped.</summary>
public sealed record HandedOver(IReadOnlyList<LegacyUser> Users, IReadOnlyList<LegacyLoginFailure> LoginFailures, bool Bootstrapped);

/// <summary>How many users and counts were inserted (the rest were there already).</summary>
public sealed record ImportResult(int Imported, int LoginFailures);

/// <summary>
/// Takes over the users the authorize service held before this service existed: each with its
/// password hash, roles and state, the failed-password counts (keyed with the same AuditHash key) and
/// whether the installation had created its first administrator. Everything is inserted where absent,
/// in one transaction, so a hand-over repeated (after a crash before authorize dropped its copy)
/// changes nothing.
/// </summary>
/// <remarks>
/// On an upgrade this service starts first, finds its new database empty and creates a first
/// administrator before authorize (which waits for it) hands the users over. That installation
/// bootstrapped long ago, so the first hand-over that says so deletes this administrator again: the
/// bootstrap password opens nothing, and the installation's own <c>admin</c> (the bootstrap client's
/// user) comes back under its own sys_id. A later hand-over (the first one was empty: a fresh install)
/// never deletes anyone. Until authorize is ready no request reaches the edge, so nobody can have used
/// the superseded administrator.
/// </remarks>
public sealed class UserImport(UserStore users, IAuditSink audit, ILogger<UserImport> logger)
{
    // Any constant works (advisory lock ids are per database): replicas of authorize hand over one at a time.
    private const long ImportLockId = 0x0A0A_5EED_0018;

    public static LegacyUser FromMessage(ImportedUser user) => new(new UserRecord
    {
        SysId = user.SysId,
        UserName = user.UserName,
        Email = user.Email.Length == 0 ? null : user.Email,
        FirstName = user.FirstName,
        LastName = user.LastName,
        PasswordHash = user.PasswordHash.Length == 0 ? null : user.PasswordHash,
        Roles = [.. user.Roles],
        Active = user.Active,
    }, FromMicroseconds(user.CreatedAt), FromMicroseconds(user.UpdatedAt));

    public static LegacyLoginFailure FromMessage(ImportedLoginFailure failure) =>
        new(failure.NameKey.ToByteArray(), failure.Failures, FromMicroseconds(failure.WindowStarted),
            failure.LockedUntil == 0 ? null : (DateTime?)FromMicroseconds(failure.LockedUntil));

    public Task<ImportResult> ImportAsync(HandedOver handedOver, CancellationToken cancellationToken) =>
        users.DataSource.InTransactionAsync(async tx =>
        {
            var connection = tx.Connection!;
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@id)", new { id = ImportLockId }, tx,
                cancellationToken: cancellationToken));
            var first = await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO user_import (id, users) VALUES (1, @count) ON CONFLICT DO NOTHING", new { count = handedOver.Users.Count }, tx,
                cancellationToken: cancellationToken)) == 1;
            // An installation with users had bootstrapped, whatever its marker says.
            var bootstrapped = handedOver.Bootstrapped || handedOver.Users.Count > 0;
            if (bootstrapped)
            {
                if (first)
                {
                    await SupersedeAdministratorAsync(tx, cancellationToken);
                }

                // No first administrator is ever created here from now on (AdminBootstrap finds the marker taken).
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO bootstrap_done (id) VALUES (1) ON CONFLICT DO NOTHING", transaction: tx,
                    cancellationToken: cancellationToken));
            }

            var imported = 0;
            foreach (var (user, createdAt, updatedAt) in handedOver.Users)
            {
                // Absent by sys_id, user name and email alike (every unique index arbitrates).
                imported += await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO app_user (sys_id, user_name, email, first_name, last_name, password_hash, roles, active, created_at, updated_at)
                    VALUES (@SysId, @UserName, @Email, @FirstName, @LastName, @PasswordHash, @Roles, @Active, @createdAt, @updatedAt)
                    ON CONFLICT DO NOTHING
                    """, new { user.SysId, user.UserName, user.Email, user.FirstName, user.LastName, user.PasswordHash, user.Roles, user.Active, createdAt, updatedAt },
                    tx, cancellationToken: cancellationToken));
            }

            var failures = 0;
            foreach (var failure in handedOver.LoginFailures)
            {
                failures += await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO login_failure (name_key, failures, window_started, locked_until)
                    VALUES (@NameKey, @Failures, @WindowStarted, @LockedUntil)
                    ON CONFLICT DO NOTHING
                    """, failure, tx, cancellationToken: cancellationToken));
            }

            logger.LogInformation("Took over {Imported} of {Count} user(s) and {Failures} failed-password count(s) from the authorize service",
                imported, handedOver.Users.Count, failures);
            return new ImportResult(imported, failures);
        }, cancellationToken);

    /// <summary>Deletes the administrator this service created into its empty database, with the events a deletion writes.</summary>
    private async Task SupersedeAdministratorAsync(NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        var admin = await tx.Connection!.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition("""
            DELETE FROM app_user WHERE sys_id = (SELECT admin_sys_id FROM bootstrap_done WHERE id = 1)
            RETURNING sys_id, user_name, email, first_name, last_name, password_hash, roles, active
            """, transaction: tx, cancellationToken: cancellationToken));
        await tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE bootstrap_done SET admin_sys_id = NULL WHERE id = 1", transaction: tx,
            cancellationToken: cancellationToken));
        if (admin is null)
        {
            return;
        }

        const string Reason = "superseded by the users handed over from the authorize service (upgrade)";
        await audit.WriteAsync(tx, new UserDeleted(admin.SysId, admin.UserName) { Reason = Reason }, cancellationToken);
        await audit.WriteAsync(tx, new TokensCutOff(Protocol.Tokens.CutOffs.User, admin.SysId, DateTimeOffset.UtcNow) { Reason = Reason }, cancellationToken);
        logger.LogWarning("Deleted the first administrator created here at start ({SysId}): this installation had bootstrapped before, its own users are handed over",
            admin.SysId);
    }

    private static DateTime FromMicroseconds(long microseconds) => DateTime.UnixEpoch.AddTicks(microseconds * 10);
}
