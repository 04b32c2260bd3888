using Microsoft.Extensions.Configuration;
using OAuthAspire.Authorize.Authorization;

namespace OAuthAspire.Authorize.Tests;

/// <summary>The wrong-code limits of the device page: the defaults, and a guesser known by its session's hash, never its sid.</summary>
public class DeviceGuessSettingsTests
{
    [Fact]
    public void UnconfiguredLimitsAreFivePerSessionForFifteenMinutesTenPerUserTwentyPerAddress()
    {
        var settings = DeviceGuessSettings.From(new ConfigurationBuilder().Build());
        Assert.Equal(5, settings.PerSession);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.SessionLock);
        Assert.Equal(10, settings.PerUser);
        Assert.Equal(20, settings.PerAddress);
        Assert.Equal(300, settings.AlertPerMinute);
        Assert.True(settings.CeilingPerMinute > settings.AlertPerMinute);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64")]
    public void AnIpv6GuesserIsCountedByItsSlash64(string address, string key) => Assert.Equal(key, OAuthAspire.Protocol.Security.AddressKeys.Of(address));

    [Fact]
    public void AGuesserIsKnownByAHashOfItsSession()
    {
        var guesser = new Guesser("0123456789abcdef0123456789abcdef", "session-id-value", "203.0.113.7");
        Assert.Matches("^[0-9a-f]{16}$", guesser.SessionKey);
        Assert.NotEqual(guesser.SessionKey, new Guesser(guesser.UserSysId, "another-session", null).SessionKey);
    }
}
