using Microsoft.Extensions.Options;

namespace OAuthAspire.Directory.Users;

/// <summary>Every ten minutes: forgets spent failed-password counts (guessed names must not pile up).</summary>
public sealed class DirectoryHousekeeping(LoginFailures failures, IOptions<LockoutOptions> lockout, ILogger<DirectoryHousekeeping> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await failures.PurgeExpiredAsync(lockout.Value, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Directory housekeeping failed: {Reason}", e.Message);
            }
        }
    }
}
