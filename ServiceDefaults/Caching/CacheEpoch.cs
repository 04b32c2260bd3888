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
/// Follows the bus's receive endpoints: listening once every endpoint is ready, deaf as soon as one
/// faults or stops. (An endpoint may fault several times while reconnecting; only the transitions count.)
/// </summary>
public sealed class CacheEpochObserver : IReceiveEndpointObserver
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Uri, bool> _ready = new();
    private readonly Lock _gate = new();
    private bool _allReady;

    public Task Ready(ReceiveEndpointReady ready) => Set(ready.InputAddress, true);

    public Task Faulted(ReceiveEndpointFaulted faulted) => Set(faulted.InputAddress, false);

    public Task Stopping(ReceiveEndpointStopping stopping) => Set(stopping.InputAddress, false);

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    private Task Set(Uri endpoint, bool ready)
    {
        lock (_gate)
        {
            _ready[endpoint] = ready;
            var allReady = _ready.Values.All(r => r);
            if (allReady && !_allReady)
            {
                CacheEpoch.Regained();
            }
            else if (!allReady && _allReady)
            {
                CacheEpoch.Lost();
            }

            _allReady = allReady;
        }

        return Task.CompletedTask;
    }
}
