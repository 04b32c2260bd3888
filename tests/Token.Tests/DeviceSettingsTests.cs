using Microsoft.Extensions.Configuration;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Token.Device;

namespace OAuthAspire.Token.Tests;

/// <summary>RFC 8628's defaults (600 s codes, a 5 s interval) unless configured, and never an interval the grant could not honour.</summary>
public class DeviceSettingsTests
{
    private static DeviceSettings From(params (string Key, string Value)[] values) =>
        DeviceSettings.From(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void UnconfiguredCodesLiveTenMinutesPolledEveryFiveSeconds()
    {
        var settings = From();
        Assert.Equal(TimeSpan.FromSeconds(600), settings.Lifetime);
        Assert.Equal(5, settings.Interval);
        Assert.True(settings.MaxLiveCodes >= 10_000);
        Assert.Equal(1_000, settings.MaxLiveCodesPerClient);
        Assert.Equal(20, settings.MaxLiveCodesPerAddress);
    }

    [Fact]
    public void ConfiguredValuesAreTakenWithinBounds()
    {
        var settings = From(("Device:Lifetime", "00:05:00"), ("Device:Interval", "10"), ("Device:MaxLiveCodes", "50"));
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Lifetime);
        Assert.Equal(10, settings.Interval);
        Assert.Equal(50, settings.MaxLiveCodes);

        Assert.Equal(1, From(("Device:Interval", "0")).Interval);
        Assert.Equal(DevicePolling.MaxInterval, From(("Device:Interval", "3600")).Interval);
    }
}
