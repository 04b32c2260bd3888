using OAuthAspire.Protocol.Device;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 8628 §3.5: each answer to a poll, decided from the stored state and one clock.</summary>
public class DevicePollingTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static DevicePollState State(DeviceStatus status = DeviceStatus.Pending, DateTime? lastPolled = null, int interval = 5, int expiresIn = 600) =>
        new("tv-app", status, Now.AddSeconds(expiresIn), lastPolled, interval);

    [Fact]
    public void APendingCodeFirstPolledIsPending()
    {
        var outcome = DevicePolling.Decide(State(), "tv-app", Now);
        Assert.Equal("authorization_pending", outcome.Error!.Error);
        Assert.Equal(5, outcome.Interval);
    }

    [Fact]
    public void APollAfterTheIntervalIsPending() =>
        Assert.Equal("authorization_pending", DevicePolling.Decide(State(lastPolled: Now.AddSeconds(-5)), "tv-app", Now).Error!.Error);

    [Fact]
    public void APollSoonerThanTheIntervalSlowsDownByFiveSeconds()
    {
        var outcome = DevicePolling.Decide(State(lastPolled: Now.AddSeconds(-4)), "tv-app", Now);
        Assert.Equal("slow_down", outcome.Error!.Error);
        Assert.Equal(10, outcome.Interval);

        // The grown interval is what the next poll is measured against.
        var next = DevicePolling.Decide(State(lastPolled: Now.AddSeconds(-9), interval: outcome.Interval), "tv-app", Now);
        Assert.Equal("slow_down", next.Error!.Error);
        Assert.Equal(15, next.Interval);
        Assert.Equal("authorization_pending", DevicePolling.Decide(State(lastPolled: Now.AddSeconds(-10), interval: 10), "tv-app", Now).Error!.Error);
    }

    [Fact]
    public void TheIntervalStopsGrowingAtItsCeiling() =>
        Assert.Equal(DevicePolling.MaxInterval, DevicePolling.Decide(State(lastPolled: Now, interval: DevicePolling.MaxInterval), "tv-app", Now).Interval);

    [Fact]
    public void AnApprovedCodeIssues()
    {
        var outcome = DevicePolling.Decide(State(DeviceStatus.Approved, lastPolled: Now.AddSeconds(-1)), "tv-app", Now);
        Assert.True(outcome.Issue);
        Assert.Null(outcome.Error);
    }

    [Fact]
    public void ADeniedCodeIsAccessDenied()
    {
        var outcome = DevicePolling.Decide(State(DeviceStatus.Denied), "tv-app", Now);
        Assert.Equal("access_denied", outcome.Error!.Error);
        Assert.Equal(400, outcome.Error.StatusCode);
    }

    [Theory]
    [InlineData(DeviceStatus.Pending)]
    [InlineData(DeviceStatus.Approved)]
    [InlineData(DeviceStatus.Denied)]
    public void AnExpiredCodeIsExpiredTokenWhateverTheUserDid(DeviceStatus status) =>
        Assert.Equal("expired_token", DevicePolling.Decide(State(status, expiresIn: 0), "tv-app", Now).Error!.Error);

    [Fact]
    public void ARedeemedCodeIsAReplayEvenAfterItExpired()
    {
        var outcome = DevicePolling.Decide(State(DeviceStatus.Redeemed, expiresIn: -60), "tv-app", Now);
        Assert.Equal("invalid_grant", outcome.Error!.Error);
        Assert.Equal("device code replayed", outcome.Reason);
    }

    [Fact]
    public void AnotherClientsCodeIsInvalidGrantAndChangesNothing()
    {
        var outcome = DevicePolling.Decide(State(DeviceStatus.Approved, lastPolled: Now), "other-app", Now);
        Assert.Equal("invalid_grant", outcome.Error!.Error);
        Assert.Equal(5, outcome.Interval);
    }
}
