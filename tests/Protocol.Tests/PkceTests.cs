using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Protocol.Tests;

public class PkceTests
{
    // RFC 7636 Appendix B.
    private const string Verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private const string Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Fact]
    public void TheS256ChallengeOfTheRfcExampleVerifierIsTheRfcExampleChallenge() =>
        Assert.Equal(Challenge, Pkce.ChallengeOf(Verifier));

    [Fact]
    public void AMatchingVerifierPasses() => Assert.True(Pkce.Verify(Verifier, Challenge));

    [Fact]
    public void AnotherVerifierFails() => Assert.False(Pkce.Verify(Verifier.Replace('d', 'e'), Challenge));

    [Theory]
    [InlineData(42)]
    [InlineData(129)]
    public void AVerifierOutside43To128CharactersIsInvalid(int length) => Assert.False(Pkce.IsValidVerifier(new string('a', length)));

    [Fact]
    public void AVerifierWithReservedCharactersIsInvalid() => Assert.False(Pkce.IsValidVerifier(new string('a', 42) + "+"));

    [Fact]
    public void UnreservedCharactersMakeAValidVerifier() => Assert.True(Pkce.IsValidVerifier("abcXYZ019-._~" + new string('q', 30)));

    [Fact]
    public void APlainVerifierPresentedAsTheChallengeDoesNotVerify() => Assert.False(Pkce.Verify(Verifier, Verifier));
}
