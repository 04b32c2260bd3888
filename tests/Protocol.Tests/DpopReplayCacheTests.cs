using OAuthAspire.Protocol.Dpop;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9449 §11.1: a proof id is accepted once within the window, and never forgotten early.</summary>
public class DpopReplayCacheTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void TheFirstUseIsFreshAndTheSecondReplayed()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jkt|jti-1|htu", Start));
        Assert.Equal(DpopReplayOutcome.Replayed, cache.TryUse("jkt|jti-1|htu", Start + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void KeysAreComparedExactly()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("JTI-1", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-2", Start));
    }

    [Fact]
    public void AKeyIsStillRememberedAfterOneRotation()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start));

        // This use rotates: jti-1's generation becomes the previous one.
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-2", Start + Window));
        Assert.Equal(DpopReplayOutcome.Replayed, cache.TryUse("jti-1", Start + Window + TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void AKeyIsRememberedForAtLeastTheWindowWhateverTheRotations()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("early", Start));

        // "late" goes in just before the rotation, so it is the key with the least time left.
        var late = Start + Window - TimeSpan.FromSeconds(1);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("late", late));
        for (var seconds = 0; seconds <= 60; seconds += 5)
        {
            Assert.Equal(DpopReplayOutcome.Replayed, cache.TryUse("late", late + TimeSpan.FromSeconds(seconds)));
        }
    }

    [Fact]
    public void AKeyIsForgottenAfterTwoRotations()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-2", Start + Window));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start + Window + Window));
    }

    [Fact]
    public void AKeyIsForgottenAfterTwoQuietWindows()
    {
        var cache = new DpopReplayCache(Window);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("jti-1", Start + Window + Window));
    }

    [Fact]
    public void AFullCacheRefusesNewKeysButStillKnowsOldOnes()
    {
        var cache = new DpopReplayCache(Window, capacity: 3);
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("a", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("b", Start));
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("c", Start));

        Assert.Equal(DpopReplayOutcome.Full, cache.TryUse("d", Start));
        Assert.Equal(DpopReplayOutcome.Replayed, cache.TryUse("a", Start));

        // A refused key was not remembered, and a rotation makes room without forgetting a, b and c.
        Assert.Equal(DpopReplayOutcome.Fresh, cache.TryUse("d", Start + Window));
        Assert.Equal(DpopReplayOutcome.Replayed, cache.TryUse("b", Start + Window));
    }

    [Fact]
    public void ConcurrentUsesOfOneKeyGiveExactlyOneFresh()
    {
        var cache = new DpopReplayCache(Window);
        var outcomes = new DpopReplayOutcome[1000];
        Parallel.For(0, outcomes.Length, i => outcomes[i] = cache.TryUse("the-same-proof", Start));

        Assert.Single(outcomes, o => o == DpopReplayOutcome.Fresh);
        Assert.Equal(outcomes.Length - 1, outcomes.Count(o => o == DpopReplayOutcome.Replayed));
    }

    [Fact]
    public void ConcurrentUsesAcrossARotationGiveEachKeyExactlyOneFresh()
    {
        // Half the uses carry a time after the rotation: whichever generation they land in, each key passes once.
        var cache = new DpopReplayCache(Window);
        var outcomes = new DpopReplayOutcome[4000];
        Parallel.For(0, outcomes.Length, i =>
            outcomes[i] = cache.TryUse($"proof-{i % 100}", i % 2 == 0 ? Start : Start + Window));

        for (var key = 0; key < 100; key++)
        {
            var uses = Enumerable.Range(0, outcomes.Length).Where(i => i % 100 == key).Select(i => outcomes[i]);
            Assert.Single(uses, o => o == DpopReplayOutcome.Fresh);
        }
    }

    [Fact]
    public void AWindowMustBePositive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DpopReplayCache(TimeSpan.Zero));
}
