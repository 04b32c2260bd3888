using Microsoft.Extensions.Options;

namespace OAuthAspire.Directory.Users;

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
/// Checks a user name and password with lockout. Every attempt costs the same whether the user
/// exists or not: one user look-up, one counter look-up, one password hash, and on failure one
/// counter write (<see cref="LoginFailures"/>, per typed name), so neither answers, timing nor
/// database load tell an attacker which names are accounts. An unknown name locks like a real one.
/// </summary>
public sealed class PasswordVerifier(UserStore users, LoginFailures failures, Passwords passwords, IOptions<LockoutOptions> lockout, TimeProvider time)
{
    public async Task<PasswordCheck> VerifyAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var user = string.IsNullOrEmpty(userName) ? null : await users.FindByNameAsync(userName, cancellationToken);
        var key = failures.KeyOf(userName);
        var (failed, lockedUntil) = await failures.ReadAsync(key, cancellationToken);
        var matches = passwords.Verify(user?.PasswordHash, password);
        var now = time.GetUtcNow().UtcDateTime;
        if (lockedUntil > now)
        {
            return new PasswordCheck(PasswordFailure.LockedOut, user, false);
        }

        if (user is null || !matches)
        {
            var (_, until) = await failures.RecordAsync(key, lockout.Value, cancellationToken);
            // Only a real account is reported as locked now (AccountLocked names it); an unknown name just stays refused.
            DateTimeOffset? accountLockedUntil = until is { } u && u > now && user is not null ? new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc)) : null;
            return new PasswordCheck(until > now ? PasswordFailure.LockedOut : PasswordFailure.InvalidCredentials, user, accountLockedUntil is not null,
                accountLockedUntil);
        }

        if (!user.Active)
        {
            return new PasswordCheck(PasswordFailure.Inactive, user, false);
        }

        if (failed > 0)
        {
            await failures.ResetAsync(key, cancellationToken);
        }

        return new PasswordCheck(PasswordFailure.None, user, false);
    }

    /// <summary>Whether sign-in under this (stored) user name is locked now.</summary>
    public async Task<bool> IsLockedOutAsync(string userName, CancellationToken cancellationToken) =>
        (await failures.ReadAsync(failures.KeyOf(userName), cancellationToken)).LockedUntil > time.GetUtcNow().UtcDateTime;
}
