using MassTransit;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>
/// Whether this process can hear the change events that drop its caches. While it cannot (the
/// broker is away, or has not answered yet), nothing cached may live longer than a second, so a
/// change committed meanwhile shows within a second anyway. Every time listening starts again the
/// epoch advances and everything cached before is dropped: events published before this process's
/// queue was bound again were never heard.
/// </summary>
public static class CacheEpoch
{
    /// <summary>Longest life of a cached value while events cannot arrive.</summary>
    public static readonly TimeSpan DeafLifetime = TimeSpan.FromSeconds(1);

    private static long _current;
    private static volatile bool _listening;

    public static long Current => Interlocked.Read(ref _current);

    public static bool Listening => _listening;

    /// <summary>Raised (on the bus's thread) whenever the epoch advances.</summary>
    public static event Action? Advanced;

    /// <summary>The lifetime a value may be cached for now.</summary>
    public static TimeSpan Cap(TimeSpan lifetime) => _listening || lifetime < DeafLifetime ? lifetime : DeafLifetime;

    public static void Lost()
    {
        _listening = false;
        Advance();
    }

    public static void Regained()
    {
        _listening = true;
        Advance();
    }

    private static void Advance()
    {
        Interlocked.Increment(ref _current);
        Advanced?.Invoke();
    }
}

/// <summary>
/// Follows the bus's own health (which tracks every receive endpoint, through reconnections):
/// listening while it is healthy, deaf otherwise. Polled: a quarter second is well inside the
/// one-second staleness bound that deafness imposes.
/// </summary>
public sealed class CacheEpochMonitor(IBusControl bus) : Microsoft.Extensions.Hosting.BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                var healthy = bus.CheckHealth().Status == BusHealthStatus.Healthy;
                if (healthy && !CacheEpoch.Listening)
                {
                    CacheEpoch.Regained();
                }
                else if (!healthy && CacheEpoch.Listening)
                {
                    CacheEpoch.Lost();
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
