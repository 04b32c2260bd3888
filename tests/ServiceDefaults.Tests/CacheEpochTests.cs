using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>Caches follow whether change events can arrive (CacheEpoch is process-wide, so these run alone).</summary>
[Collection(nameof(CacheEpochTests))]
[CollectionDefinition(nameof(CacheEpochTests), DisableParallelization = true)]
public class CacheEpochTests
{
    [Fact]
    public void Losing_the_broker_drops_what_was_cached_and_caps_new_entries_to_a_second()
    {
        CacheEpoch.Regained();
        var cache = new ExpiringCache<string, int>(TimeSpan.FromMinutes(1));
        cache.Set("a", 1);
        Assert.True(cache.TryGet("a", out _));

        CacheEpoch.Lost();
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(TimeSpan.FromSeconds(1), CacheEpoch.Cap(TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), CacheEpoch.Cap(TimeSpan.FromMilliseconds(200)));

        cache.Set("b", 2);
        Assert.True(cache.TryGet("b", out _));
        Thread.Sleep(1_100);
        Assert.False(cache.TryGet("b", out _));

        // Events missed while away: nothing cached before listening again survives it.
        cache.Set("c", 3);
        CacheEpoch.Regained();
        Assert.False(cache.TryGet("c", out _));
        Assert.Equal(TimeSpan.FromMinutes(1), CacheEpoch.Cap(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_load_that_spans_a_change_of_epoch_is_not_stored()
    {
        CacheEpoch.Regained();
        var cache = new ExpiringCache<string, int>(TimeSpan.FromMinutes(1));
        var value = await cache.GetOrAddAsync("k", (_, _) =>
        {
            CacheEpoch.Lost();
            CacheEpoch.Regained();
            return Task.FromResult(7);
        }, CancellationToken.None);
        Assert.Equal(7, value);
        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void Advancing_the_epoch_notifies_subscribers()
    {
        var calls = 0;
        void Count() => calls++;
        CacheEpoch.Advanced += Count;
        try
        {
            CacheEpoch.Lost();
            CacheEpoch.Regained();
        }
        finally
        {
            CacheEpoch.Advanced -= Count;
        }

        Assert.Equal(2, calls);
        Assert.True(CacheEpoch.Listening);
    }
}
