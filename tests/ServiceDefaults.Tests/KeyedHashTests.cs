using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>Typed user names are identified without being kept: stable per key and purpose, unrelated across them.</summary>
public class KeyedHashTests
{
    private static readonly InternalKey Key = new("k3y-known-only-to-our-services-0123456789abcdef");

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
        Assert.NotEqual(rateLimits, new KeyedHash(new InternalKey("another-key-entirely-0123456789abcdef0123"), KeyedHash.RateLimitedUserPurpose).Of("alice"));
    }
}
