using OAuthAspire.Token.Device;
using OAuthAspire.Token.Par;

namespace OAuthAspire.Token.Issuance;

/// <summary>Hourly (<c>Housekeeping:Interval</c>): forgets records of tokens long expired.</summary>
public sealed class TokenHousekeeping(RevocationStore store, AuthorizationCodes codes, RefreshTokenStore refreshTokens, CutOffStore cutOffs,
    PushedRequests pushedRequests, DeviceAuthorizations devices,
    IConfiguration configuration,
    ILogger<TokenHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(configuration.GetValue("Housekeeping:Interval", TimeSpan.FromHours(1)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var removed = await store.PurgeExpiredAsync(stoppingToken) + await codes.PurgeExpiredAsync(stoppingToken) + await refreshTokens.PurgeExpiredAsync(stoppingToken)
                    + await cutOffs.PurgeExpiredAsync(stoppingToken) + await pushedRequests.PurgeExpiredAsync(stoppingToken)
                    + await devices.PurgeExpiredAsync(stoppingToken);
                if (removed > 0)
                {
                    // The inventory (GET /api/admin/tokens) stays bounded by this: how long it took is how its cost is watched.
                    logger.LogInformation("Purged {Count} expired token record(s) in {Milliseconds} ms", removed,
                        (int)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Token housekeeping failed: {Reason}", e.Message);
            }
        }
    }
}
