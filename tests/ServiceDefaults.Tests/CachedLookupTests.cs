using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>
/// The cached look-up and the events that drop its entries. CacheEpoch is process-wide, so these run
/// in CacheEpochTests' collection, alone, with events heard (full lifetimes).
/// </summary>
[Collection(nameof(CacheEpochTests))]
public class CachedLookupTests
{
    public sealed record ThingChanged(string Id);

    public sealed record EverythingChanged(string Why);

    /// <summary>A cache owner, as RegisteredClients or ScopeResolver are: a singleton holding its look-up.</summary>
    public sealed class Things
    {
        private int _loads;

        public Things(Func<string, Task<string?>> fetch) =>
            Lookup = new CachedLookup<string, string?>((id, _) =>
            {
                Interlocked.Increment(ref _loads);
                return fetch(id);
            });

        public CachedLookup<string, string?> Lookup { get; }

        public int Loads => Volatile.Read(ref _loads);
    }

    private static readonly CacheInvalidation[] Rules =
    [
        InvalidateOn<ThingChanged>.Key((Things t) => t.Lookup, e => e.Id),
        InvalidateOn<EverythingChanged>.All((Things t) => t.Lookup),
    ];

    private static Things Echo() => new(id => Task.FromResult<string?>(id == "unknown" ? null : id.ToUpperInvariant()));

    /// <summary>The container as AddOAuthService leaves it: the owner, the rules and their consumers.</summary>
    private static ServiceProvider Container(Things things)
    {
        var services = new ServiceCollection();
        services.AddSingleton(things);
        foreach (var consumer in CacheInvalidation.Register(services, Rules))
        {
            services.AddScoped(consumer);
        }

        return services.BuildServiceProvider(validateScopes: true);
    }

    private static void Deliver<TEvent>(IServiceProvider provider, TEvent message) where TEvent : class
    {
        using var scope = provider.CreateScope();
        scope.ServiceProvider.GetRequiredService<CacheInvalidationConsumer<TEvent>>().Apply(message);
    }

    [Fact]
    public async Task AHitDoesNotCallTheLoaderAndAnswersSynchronously()
    {
        CacheEpoch.Regained();
        var things = Echo();
        Assert.Equal("A", await things.Lookup.GetAsync("a", CancellationToken.None));
        Assert.Null(await things.Lookup.GetAsync("unknown", CancellationToken.None));

        var hit = things.Lookup.GetAsync("a", CancellationToken.None);
        Assert.True(hit.IsCompletedSuccessfully);
        Assert.Equal("A", await hit);
        // "Unknown" is an answer too: it is cached like any other.
        Assert.Null(await things.Lookup.GetAsync("unknown", CancellationToken.None));
        Assert.Equal(2, things.Loads);
    }

    [Fact]
    public async Task AnEventForAKeyDropsExactlyThatKey()
    {
        CacheEpoch.Regained();
        var things = Echo();
        using var provider = Container(things);
        await things.Lookup.GetAsync("a", CancellationToken.None);
        await things.Lookup.GetAsync("b", CancellationToken.None);

        Deliver(provider, new ThingChanged("a"));

        Assert.False(things.Lookup.TryGet("a", out _));
        Assert.True(things.Lookup.TryGet("b", out var b));
        Assert.Equal("B", b);
        Assert.Equal("A", await things.Lookup.GetAsync("a", CancellationToken.None));
        Assert.Equal(3, things.Loads);
    }

    [Fact]
    public async Task AClearAllEventDropsEverything()
    {
        CacheEpoch.Regained();
        var things = Echo();
        using var provider = Container(things);
        await things.Lookup.GetAsync("a", CancellationToken.None);
        await things.Lookup.GetAsync("b", CancellationToken.None);

        Deliver(provider, new EverythingChanged("scope deleted"));

        Assert.False(things.Lookup.TryGet("a", out _));
        Assert.False(things.Lookup.TryGet("b", out _));
    }

    [Fact]
    public async Task ALoadRacingAnInvalidationDoesNotStoreItsStaleValue()
    {
        CacheEpoch.Regained();
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var things = new Things(_ => Interlocked.Increment(ref calls) == 1 ? answer.Task : Task.FromResult<string?>("fresh"));
        using var provider = Container(things);

        var loading = things.Lookup.GetAsync("a", CancellationToken.None);
        Assert.False(loading.IsCompleted);
        // The change commits, and its event arrives, while the old value is on its way.
        Deliver(provider, new ThingChanged("a"));
        answer.SetResult("stale");

        // The caller that asked before the change gets its answer, but nobody after it does.
        Assert.Equal("stale", await loading);
        Assert.False(things.Lookup.TryGet("a", out _));
        Assert.Equal("fresh", await things.Lookup.GetAsync("a", CancellationToken.None));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task TheContextReachesTheLoaderOnAMissButIsNotPartOfTheKey()
    {
        CacheEpoch.Regained();
        var lookup = new CachedLookup<string, string, string>((key, context, _) => Task.FromResult($"{key} for {context}"));

        Assert.Equal("a for first", await lookup.GetAsync("a", "first", CancellationToken.None));
        Assert.Equal("a for first", await lookup.GetAsync("a", "second", CancellationToken.None));
        lookup.Invalidate("a");
        Assert.Equal("a for third", await lookup.GetAsync("a", "third", CancellationToken.None));
    }

    [Fact]
    public async Task AValueWithNoLifetimeIsNotKept()
    {
        CacheEpoch.Regained();
        var loads = 0;
        var lookup = new CachedLookup<string, string>((key, _) =>
        {
            Interlocked.Increment(ref loads);
            return Task.FromResult(key);
        }, lifetimeOf: value => value == "one-time" ? null : TimeSpan.FromMinutes(1));

        await lookup.GetAsync("one-time", CancellationToken.None);
        await lookup.GetAsync("one-time", CancellationToken.None);
        await lookup.GetAsync("kept", CancellationToken.None);
        await lookup.GetAsync("kept", CancellationToken.None);

        Assert.Equal(3, loads);
    }

    [Fact]
    public async Task TheBusRunsOneGenericConsumerPerEventTypeAndItDropsTheKey()
    {
        CacheEpoch.Regained();
        var things = Echo();
        var services = new ServiceCollection();
        services.AddSingleton(things);
        var consumers = CacheInvalidation.Register(services, [.. Rules, InvalidateOn<ThingChanged>.Key((Things t) => t.Lookup, e => e.Id + "-copy")]);
        Assert.Equal(new[] { typeof(CacheInvalidationConsumer<ThingChanged>), typeof(CacheInvalidationConsumer<EverythingChanged>) }, consumers);

        // As Bus.AddAuditedBus does: every rule's consumer on the one instance endpoint.
        services.AddMassTransitTestHarness(bus =>
        {
            foreach (var consumer in consumers)
            {
                bus.AddConsumer(consumer).ExcludeFromConfigureEndpoints();
            }

            bus.UsingInMemory((context, memory) => memory.ReceiveEndpoint("instance", endpoint =>
            {
                foreach (var consumer in consumers)
                {
                    endpoint.ConfigureConsumer(context, consumer);
                }
            }));
        });
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        foreach (var key in new[] { "a", "a-copy", "b" })
        {
            await things.Lookup.GetAsync(key, CancellationToken.None);
        }

        await harness.Bus.Publish(new ThingChanged("a"));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((things.Lookup.TryGet("a", out _) || things.Lookup.TryGet("a-copy", out _)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.False(things.Lookup.TryGet("a", out _));
        Assert.False(things.Lookup.TryGet("a-copy", out _));
        Assert.True(things.Lookup.TryGet("b", out _));
    }

    /// <summary>64 requests missing the same key at once (an entry expired under load) make one call, not 64.</summary>
    [Fact]
    public async Task ConcurrentMissesOfOneKeyShareOneLoad()
    {
        CacheEpoch.Regained();
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var things = new Things(_ => answer.Task);

        var waiting = Enumerable.Range(0, 64).Select(_ => things.Lookup.GetAsync("a", CancellationToken.None).AsTask()).ToArray();
        answer.SetResult("A");

        Assert.All(await Task.WhenAll(waiting), value => Assert.Equal("A", value));
        Assert.Equal(1, things.Loads);
        Assert.True(things.Lookup.TryGet("a", out _));
    }

    [Fact]
    public async Task AMissAfterAnInvalidationDoesNotJoinTheLoadBeforeIt()
    {
        CacheEpoch.Regained();
        var first = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var things = new Things(_ => Interlocked.Increment(ref calls) == 1 ? first.Task : Task.FromResult<string?>("fresh"));
        using var provider = Container(things);

        var before = things.Lookup.GetAsync("a", CancellationToken.None);
        Deliver(provider, new ThingChanged("a"));
        var after = things.Lookup.GetAsync("a", CancellationToken.None);
        first.SetResult("stale");

        Assert.Equal("stale", await before);
        Assert.Equal("fresh", await after);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ACallerGoingAwayDoesNotFailTheOthersSharingItsLoad()
    {
        CacheEpoch.Regained();
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var things = new Things(_ => answer.Task);
        using var gone = new CancellationTokenSource();

        var leaving = things.Lookup.GetAsync("a", gone.Token).AsTask();
        var staying = things.Lookup.GetAsync("a", CancellationToken.None).AsTask();
        await gone.CancelAsync();
        answer.SetResult("A");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal("A", await staying);
        Assert.Equal(1, things.Loads);
    }

    /// <summary>A value not to be kept (a one-time token's check) is each caller's own: two at once make two calls, as they did before loads were shared.</summary>
    [Fact]
    public async Task AValueThatMayNotBeKeptIsNotSharedEither()
    {
        CacheEpoch.Regained();
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = 0;
        var lookup = new CachedLookup<string, string>((_, _) => Interlocked.Increment(ref loads) == 1 ? answer.Task : Task.FromResult("second use"),
            lifetimeOf: _ => null);

        var first = lookup.GetAsync("one-time", CancellationToken.None).AsTask();
        var second = lookup.GetAsync("one-time", CancellationToken.None).AsTask();
        answer.SetResult("first use");

        Assert.Equal("first use", await first);
        Assert.Equal("second use", await second);
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task AFailedLoadIsNotRememberedAndTheNextMissTriesAgain()
    {
        CacheEpoch.Regained();
        var calls = 0;
        var things = new Things(_ => Interlocked.Increment(ref calls) == 1
            ? Task.FromException<string?>(new InvalidOperationException("away"))
            : Task.FromResult<string?>("back"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => things.Lookup.GetAsync("a", CancellationToken.None).AsTask());
        Assert.Equal("back", await things.Lookup.GetAsync("a", CancellationToken.None));
    }

    /// <summary>A full cache makes room by dropping its oldest entries, not all of them: the working set is not lost at once.</summary>
    [Fact]
    public void AFullCacheDropsItsOldestEntriesNotEverything()
    {
        CacheEpoch.Regained();
        var cache = new ExpiringCache<int, int>(TimeSpan.FromMinutes(1), capacity: 100);
        for (var i = 0; i < 100; i++)
        {
            cache.Set(i, i);
        }

        cache.Set(100, 100);

        Assert.InRange(cache.Count, 2, 100);
        Assert.True(cache.TryGet(100, out _));
        Assert.True(cache.TryGet(99, out _));
        Assert.False(cache.TryGet(0, out _));
    }
}
