using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary>
/// A new password, set by an administrator or changed by the user: stored as a hash, audited as
/// <see cref="UserUpdated"/> with PasswordChanged, and the name's lockout lifted. On that event the
/// authorize service ends every session signed in with the old one (perhaps a thief's) and the token
/// service the user's refresh families (unless its <c>Refresh:KeepOnPasswordChange</c> is set).
/// </summary>
public sealed class PasswordChanges(UserStore store, Passwords passwords, LoginFailures failures, IAuditSink audit)
{
    public async Task SetAsync(UserRecord user, string password, AuditActor actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        var updated = user with { PasswordHash = passwords.Hash(password) };
        await store.DataSource.InTransactionAsync(async tx =>
        {
            await UserStore.UpdateAsync(tx, updated, setPassword: true, cancellationToken);
            await audit.WriteAsync(tx, new UserUpdated(updated.SysId, updated.UserName, updated.Roles, updated.Active, PasswordChanged: true)
                { Actor = actor, RemoteAddress = remoteAddress }, cancellationToken);
            await LiftLockoutAsync(tx, user, updated, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Within a write that changes the password: failures counted under the old and the new name are forgotten.</summary>
    public Task LiftLockoutAsync(NpgsqlTransaction tx, UserRecord before, UserRecord after, CancellationToken cancellationToken) =>
        failures.ResetAsync(tx, [before.UserName, after.UserName], cancellationToken);
}
