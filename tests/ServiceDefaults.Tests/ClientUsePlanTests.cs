using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>How a client's events settle the view of which clients use which names (ClientUsePlan).</summary>
public class ClientUsePlanTests
{
    private static ClientUses Saved(long version, params string[] names) => new("app", version, false, names);

    [Fact]
    public void ANewerVersionReplacesTheUsesItDropsAndRecordsThoseItNames()
    {
        var change = ClientUsePlan.Settle(1, [new ClientUse("a", 1), new ClientUse("b", 1)], Saved(2, "b", "c"));

        Assert.True(change.Applies);
        Assert.Equal(["a"], change.Remove);
        Assert.Equal(["b", "c"], change.Add);
    }

    [Theory]
    [InlineData(3L)]
    [InlineData(4L)]
    public void AnEventAsOldAsOrOlderThanTheRecordedVersionChangesNothing(long recorded)
    {
        var change = ClientUsePlan.Settle(recorded, [new ClientUse("a", recorded)], Saved(3));

        Assert.False(change.Applies);
        Assert.Empty(change.Remove);
        Assert.Empty(change.Add);
    }

    [Fact]
    public void AUseClaimedByANewerSaveInFlightStays()
    {
        // Version 3 is being saved (its claim recorded "new"); the event of version 2 arrives meanwhile.
        var change = ClientUsePlan.Settle(1, [new ClientUse("old", 1), new ClientUse("new", 3)], Saved(2));

        Assert.Equal(["old"], change.Remove);
        Assert.Empty(change.Add);
    }

    [Fact]
    public void ADeletedClientLosesEveryUseWhateverItsVersion()
    {
        var change = ClientUsePlan.Settle(2, [new ClientUse("a", 2), new ClientUse("b", 5)], new ClientUses("app", 3, true, ["a"]));

        Assert.True(change.Applies);
        Assert.Equal(["a", "b"], change.Remove.Order(StringComparer.Ordinal));
        Assert.Empty(change.Add);
    }

    [Fact]
    public void TheFirstEventOfAClientRecordsItsUses()
    {
        var change = ClientUsePlan.Settle(0, [], Saved(1, "a", "a", "b"));

        Assert.True(change.Applies);
        Assert.Empty(change.Remove);
        Assert.Equal(["a", "b"], change.Add);
    }
}
