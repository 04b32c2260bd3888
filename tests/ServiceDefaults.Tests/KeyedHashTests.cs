using Microsoft.Extensions.Configuration;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>Typed user names are identified without being kept: stable per key and purpose, unrelated across them.</summary>
public class KeyedHashTests
{
    private const string Key = "k3y-known-only-to-the-edge-and-authorize-0123456789";

    [Fact]
    public void TheSameNameUnderTheSameKeyAndPurposeHashesTheSameAndNeverShowsTheName()
    {
        var hash = new KeyedHash(Key, KeyedHash.RateLimitedUserPurpose);

        var hex = hash.HexOf("alice");

        Assert.Equal(hex, new KeyedHash(Key, KeyedHash.RateLimitedUserPurpose).HexOf("alice"));
        Assert.Matches("^[0-9a-f]{16}$", hex);
        Assert.DoesNotContain("alice", hex, StringComparison.Ordinal);
        Assert.NotEqual(hex, hash.HexOf("alicf"));
    }

    [Fact]
    public void AnotherPurposeOrAnotherKeyGivesAnUnrelatedHash()
    {
        var rateLimits = new KeyedHash(Key, KeyedHash.RateLimitedUserPurpose).Of("alice");

        Assert.NotEqual(rateLimits, new KeyedHash(Key, KeyedHash.LoginFailurePurpose).Of("alice"));
        Assert.NotEqual(rateLimits, new KeyedHash("another-key-entirely-0123456789abcdef0123", KeyedHash.RateLimitedUserPurpose).Of("alice"));
    }

    [Fact]
    public void TheKeyComesFromItsOwnSettingAndIsRequired()
    {
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [KeyedHash.ConfigKey] = Key }).Build();
        Assert.Equal(new KeyedHash(Key, KeyedHash.LoginFailurePurpose).Of("alice"),
            KeyedHash.FromConfiguration(configured, KeyedHash.LoginFailurePurpose).Of("alice"));

        var missing = new ConfigurationBuilder().Build();
        Assert.Throws<InvalidOperationException>(() => KeyedHash.FromConfiguration(missing, KeyedHash.LoginFailurePurpose));
        Assert.Throws<InvalidOperationException>(() => new KeyedHash("short", KeyedHash.LoginFailurePurpose));
    }
}
