namespace OAuthAspire.Authorize.Authorization;

/// <summary>Every ten minutes: forgets abandoned sign-in requests and long-ended sessions (spent failed-password counts are the directory's).</summary>
public sealed class AuthorizeHousekeeping(PendingAuthorizations pendings, ILogger<AuthorizeHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pendings.PurgeExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Authorize housekeeping failed: {Reason}", e.Message);
            }
        }
    }
}
