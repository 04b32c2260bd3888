using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Protocol.Tests;

public class ValidatedTokensTests
{
    private static readonly Issuer TestIssuer = Issuer.Create("https://id.example.com", false);
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    private static readonly IReadOnlyList<SecurityKey> Keys = [new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k1" }];

    private static AccessTokenContent Content(string clientId = "c", TimeSpan? lifetime = null) =>
        AccessToken.Describe(TestIssuer, "aud", clientId, "sub", ["a"], [], lifetime ?? TimeSpan.FromMinutes(5), Now, null);

    [Fact]
    public void AValidatedTokenIsFoundByItsExactTextUnderTheSameKeys()
    {
        var cache = new ValidatedTokens();
        var content = Content();
        cache.Add("token-a", Keys, content);

        Assert.Same(content, cache.Find("token-a", Keys, Now, Skew));
        Assert.Null(cache.Find("token-b", Keys, Now, Skew));
        Assert.Null(cache.Find("token-a ", Keys, Now, Skew));
    }

    [Fact]
    public void ExpiryIsCheckedOnEveryHitWithTheClockSkew()
    {
        var cache = new ValidatedTokens();
        cache.Add("t", Keys, Content(lifetime: TimeSpan.FromMinutes(5)));

        Assert.NotNull(cache.Find("t", Keys, Now.AddMinutes(5).AddSeconds(29), Skew));
        Assert.Null(cache.Find("t", Keys, Now.AddMinutes(5).AddSeconds(30), Skew));
    }

    [Fact]
    public void ANewKeySetDropsEverythingValidatedUnderTheOldOne()
    {
        var cache = new ValidatedTokens();
        cache.Add("t", Keys, Content());
        IReadOnlyList<SecurityKey> refetched = [.. Keys];

        Assert.Null(cache.Find("t", refetched, Now, Skew));
        cache.Add("u", refetched, Content());
        Assert.Null(cache.Find("t", Keys, Now, Skew));
        Assert.NotNull(cache.Find("u", refetched, Now, Skew));
    }

    [Fact]
    public void WhenFullItStartsOverInsteadOfGrowing()
    {
        var cache = new ValidatedTokens(capacity: 3);
        foreach (var token in new[] { "t1", "t2", "t3", "t4" })
        {
            cache.Add(token, Keys, Content());
        }

        Assert.Null(cache.Find("t1", Keys, Now, Skew));
        Assert.NotNull(cache.Find("t4", Keys, Now, Skew));
    }
}
