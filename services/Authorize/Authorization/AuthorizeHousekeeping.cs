namespace OAuthAspire.Authorize.Authorization;

/// <summary>Every ten minutes: forgets abandoned sign-in requests, long-ended sessions and old wrong-code counts (spent failed-password counts are the directory's).</summary>
public sealed class AuthorizeHousekeeping(PendingAuthorizations pendings, DeviceGuessLimits deviceGuesses, ILogger<AuthorizeHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pendings.PurgeExpiredAsync(stoppingToken);
                await deviceGuesses.PurgeExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Authorize housekeeping failed: {Reason}", e.Message);
            }
        }
    }
}
