using Microsoft.Extensions.Options;
using OAuthAspire.Authorize.Users;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>Every ten minutes: forgets abandoned sign-in requests, long-ended sessions and spent failed-password counts.</summary>
public sealed class AuthorizeHousekeeping(PendingAuthorizations pendings, LoginFailures failures, IOptions<LockoutOptions> lockout,
    ILogger<AuthorizeHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pendings.PurgeExpiredAsync(stoppingToken);
                await failures.PurgeExpiredAsync(lockout.Value, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Authorize housekeeping failed: {Reason}", e.Message);
            }
        }
    }
}
