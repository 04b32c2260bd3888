using Microsoft.Extensions.Options;

namespace OAuthAspire.Authorize.Users;

public enum PasswordFailure
{
    None,
    InvalidCredentials,
    LockedOut,
    Inactive,
}

public sealed record PasswordCheck(PasswordFailure Failure, UserRecord? User, bool LockedNow, DateTimeOffset? LockedUntil = null)
{
    public bool Ok => Failure == PasswordFailure.None;
}

/// <summary>
/// Checks a user name and password with lockout. Every path costs one password hash, whether
/// the user exists, is inactive or locked, so neither answers nor timing tell an attacker which.
/// </summary>
public sealed class PasswordVerifier(UserStore users, Passwords passwords, IOptions<LockoutOptions> lockout, TimeProvider time)
{
    public async Task<PasswordCheck> VerifyAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var user = string.IsNullOrEmpty(userName) ? null : await users.FindByNameAsync(userName, cancellationToken);
        var matches = passwords.Verify(user?.PasswordHash, password);
        if (user is null)
        {
            return new PasswordCheck(PasswordFailure.InvalidCredentials, null, false);
        }

        if (user.IsLockedOut(time.GetUtcNow()))
        {
            return new PasswordCheck(PasswordFailure.LockedOut, user, false);
        }

        if (!matches)
        {
            var (_, lockedUntil) = await users.RecordFailureAsync(user.SysId, lockout.Value, cancellationToken);
            var lockedNow = lockedUntil is { } until && until > time.GetUtcNow().UtcDateTime;
            return new PasswordCheck(lockedNow ? PasswordFailure.LockedOut : PasswordFailure.InvalidCredentials, user, lockedNow,
                lockedUntil is { } u ? new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc)) : null);
        }

        if (!user.Active)
        {
            return new PasswordCheck(PasswordFailure.Inactive, user, false);
        }

        if (user.FailedLogins > 0)
        {
            await users.ResetFailuresAsync(user.SysId, cancellationToken);
        }

        return new PasswordCheck(PasswordFailure.None, user, false);
    }
}
