using OAuthAspire.FederationTrust.SignIn;
using OAuthAspire.FederationTrust.Trusts;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>Every ten minutes, forgets one-time jtis, accepted tokens and provider sign-ins that have expired.</summary>
public sealed class FederationHousekeeping(TrustStore store, BrokerAttempts attempts, ILogger<FederationHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var purged = await store.PurgeExpiredAsync(stoppingToken) + await attempts.PurgeExpiredAsync(stoppingToken);
                if (purged > 0)
                {
                    logger.LogInformation("Forgot {Count} expired external token records", purged);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Housekeeping failed; will retry: {Reason}", e.Message);
            }
        }
    }
}
