using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary>
/// A new password, set by an administrator or changed by the user: stored as a hash, audited as
/// <see cref="UserUpdated"/> with PasswordChanged, and the name's lockout lifted. On that event the
/// authorize service ends every session of the user (one signed in with the old password may be a
/// thief's) and the token service the user's refresh families (unless its <c>Refresh:KeepOnPasswordChange</c> is set).
/// </summary>
public sealed class PasswordChanges(UserStore store, Passwords passwords, LoginFailures failures, IAuditSink audit)
{
    /// <summary>
    /// Writes the password alone on the row as it stands (an administrator's change of roles or state
    /// meanwhile is kept, and the event tells it as it is). False, writing nothing, when the user is gone
    /// or, with <paramref name="onlyIfActive"/>, was deactivated meanwhile.
    /// </summary>
    public Task<bool> SetAsync(UserRecord user, string password, AuditActor actor, string? remoteAddress, bool onlyIfActive,
        CancellationToken cancellationToken)
    {
        var hash = passwords.Hash(password);
        return store.DataSource.InTransactionAsync(async tx =>
        {
            var updated = await UserStore.SetPasswordAsync(tx, user.SysId, hash, cancellationToken);
            if (updated is null || (onlyIfActive && !updated.Active))
            {
                return false;
            }

            await audit.WriteAsync(tx, new UserUpdated(updated.SysId, updated.UserName, updated.Roles, updated.Active, PasswordChanged: true)
                { Actor = actor, RemoteAddress = remoteAddress }, cancellationToken);
            await LiftLockoutAsync(tx, user, updated, cancellationToken);
            return true;
        }, changed => changed, cancellationToken);
    }

    /// <summary>Within a write that changes the password: failures counted under the old and the new name are forgotten.</summary>
    public Task LiftLockoutAsync(NpgsqlTransaction tx, UserRecord before, UserRecord after, CancellationToken cancellationToken) =>
        failures.ResetAsync(tx, [before.UserName, after.UserName], cancellationToken);
}
