using System.Text.Json;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Protocol.Tests;

public class RefreshAndVerifierTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    [Fact]
    public void AnUnusedRefreshTokenRotates() => Assert.Equal(RefreshDecision.Rotate, RefreshTokens.Decide(null, Now, Grace));

    [Fact]
    public void ARefreshTokenUsedWithinTheGraceWindowLosesTheRaceHarmlessly() =>
        Assert.Equal(RefreshDecision.RaceLost, RefreshTokens.Decide(Now.AddSeconds(-2), Now, Grace));

    [Fact]
    public void ARefreshTokenUsedBeforeTheGraceWindowIsReuseAndRevokesTheFamily() =>
        Assert.Equal(RefreshDecision.Reuse, RefreshTokens.Decide(Now.AddSeconds(-6), Now, Grace));

    [Fact]
    public void TheFamilyExpiresAFixedTimeAfterItsFirstIssue() =>
        Assert.Equal(Now.AddDays(100), RefreshTokens.FamilyExpiry(Now, TimeSpan.FromSeconds(8_640_000)));

    [Fact]
    public void RefreshTokensAreOpaqueAndUnique()
    {
        var tokens = Enumerable.Range(0, 100).Select(_ => RefreshTokens.New()).ToHashSet();
        Assert.Equal(100, tokens.Count);
        Assert.All(tokens, t => Assert.True(RefreshTokens.LooksLikeRefreshToken(t) && RefreshTokens.IsOwn(t) && t.Length == RefreshTokens.Prefix.Length + 43));
        Assert.False(RefreshTokens.LooksLikeRefreshToken("a.b.c"));
    }

    [Fact]
    public void ARefreshMayNarrowTheScopes() => Assert.Equal(["a"], ScopeDecision.Narrow(["a"], ["a", "b"]).Scopes);

    [Fact]
    public void ARefreshMayNeverWidenTheScopes() => Assert.False(ScopeDecision.Narrow(["a", "c"], ["a", "b"]).Granted);

    [Fact]
    public void ARefreshWithoutScopeKeepsTheOriginalGrant() => Assert.Equal(["a", "b"], ScopeDecision.Narrow([], ["b", "a"]).Scopes);

    [Fact]
    public void VerifierDefaultsAreRsPsEsWithoutHmacUnlessASharedKeyIsSet()
    {
        Assert.Equal(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"], new VerifierSettings().EffectiveAlgorithms);
        Assert.Contains("HS256", new VerifierSettings { SharedKey = new string('k', 32) }.EffectiveAlgorithms);
        Assert.DoesNotContain("HS256", new VerifierSettings { Algorithms = ["HS256", "RS256"] }.EffectiveAlgorithms);
    }

    [Fact]
    public void VerifierDefaultsAreUserNameOneMinuteSkewOneHourAndJtiCheckOn()
    {
        var policy = new VerifierSettings().GrantPolicy;
        Assert.Equal(TimeSpan.FromSeconds(60), policy.ClockSkew);
        Assert.Equal(TimeSpan.FromHours(1), policy.MaxLifetime);
        Assert.True(policy.JtiRequired);
        Assert.Equal("user_name", new VerifierSettings().EffectiveUserField);
    }

    [Fact]
    public void AShortSharedKeyIsRefused() =>
        Assert.Contains("jwtVerifier.sharedKey", new VerifierSettings { SharedKey = "too-short" }.Problems().Keys);

    [Fact]
    public void Hs256WithoutASharedKeyIsRefused() =>
        Assert.Contains("jwtVerifier.algorithms", new VerifierSettings { Algorithms = ["HS256"] }.Problems().Keys);

    [Fact]
    public void APlainHttpJwksUriOffLoopbackIsRefused()
    {
        Assert.Contains("jwtVerifier.jwksUri", new VerifierSettings { JwksUri = "http://keys.example.com/jwks" }.Problems().Keys);
        Assert.Empty(new VerifierSettings { JwksUri = "http://127.0.0.1:5000/jwks" }.Problems());
    }

    [Fact]
    public void AKeyWithPrivatePartsIsRefused()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var jwk = Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromRSASecurityKey(new Microsoft.IdentityModel.Tokens.RsaSecurityKey(rsa.ExportParameters(true)));
        var json = JsonDocument.Parse(JsonSerializer.Serialize(new { kty = jwk.Kty, n = jwk.N, e = jwk.E, d = jwk.D })).RootElement;
        Assert.Contains("jwtVerifier.keys[0]", new VerifierSettings { Keys = [new VerifierKey("k", "RS256", json, null)] }.Problems().Keys);
    }

    [Fact]
    public void AnUnknownUserFieldIsRefused() =>
        Assert.Contains("jwtVerifier.userField", new VerifierSettings { UserField = "phone" }.Problems().Keys);
}
