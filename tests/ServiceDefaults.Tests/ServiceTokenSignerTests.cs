using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>Service tokens are signed once per audience and reused, never per call, and replaced before they run out.</summary>
public class ServiceTokenSignerTests
{
    private static readonly string EdgeKey = ServiceKeys.NewPrivateKey();

    [Fact]
    public void ATokenIsReusedWhileAtLeast20SecondsRemainAndReplacedAfter()
    {
        var clock = new ManualClock();
        using var signer = ServiceIdentities.Signer("edge", EdgeKey, clock);

        var first = signer.TokenFor("token");
        clock.Now += TimeSpan.FromSeconds(40);
        Assert.Same(first, signer.TokenFor("token"));

        clock.Now += TimeSpan.FromSeconds(1);
        var second = signer.TokenFor("token");
        Assert.NotEqual(first, second);
        Assert.Equal(clock.Now.UtcDateTime + ServiceTokenSigner.Lifetime, new JsonWebToken(second).ValidTo);
        Assert.Same(second, signer.TokenFor("token"));
    }

    [Fact]
    public void EachAudienceHasItsOwnTokenStatingTheWireContract()
    {
        var clock = new ManualClock();
        using var signer = ServiceIdentities.Signer("edge", EdgeKey, clock);

        var forToken = new JsonWebToken(signer.TokenFor("token"));
        var forAuthorize = new JsonWebToken(signer.TokenFor("authorize"));

        Assert.Equal(new[] { "token" }, forToken.Audiences);
        Assert.Equal(new[] { "authorize" }, forAuthorize.Audiences);
        Assert.Equal("ES256", forToken.Alg);
        Assert.Equal(ServiceTokenSigner.TokenType, forToken.Typ);
        Assert.Equal("edge", forToken.Issuer);
        Assert.Equal("edge", forToken.Subject);
        Assert.False(string.IsNullOrEmpty(forToken.Id));
        Assert.Equal(ServiceTokenSigner.Lifetime, forToken.ValidTo - forToken.IssuedAt);
        Assert.Equal(forToken.IssuedAt, forToken.ValidFrom);
        // The kid is the key's RFC 7638 thumbprint, as IdentityModel computes it.
        Assert.Equal(ServiceIdentities.LibraryKeyIdOf(EdgeKey), forToken.Kid);
        Assert.Equal(signer.KeyId, forToken.Kid);
    }

    [Fact]
    public void CallersArrivingTogetherShareOneToken()
    {
        using var signer = ServiceIdentities.Signer("edge", EdgeKey, new ManualClock());
        var tokens = new string[2000];

        Parallel.For(0, tokens.Length, i => tokens[i] = signer.TokenFor("token"));

        Assert.Single(tokens.Distinct());
    }

    [Fact]
    public void AnUnreadableOrForeignCurveKeyIsRefused()
    {
        Assert.Throws<FormatException>(() => ServiceKeys.ImportPrivate("not-a-key"));
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        Assert.Throws<FormatException>(() => ServiceKeys.ImportPrivate(Convert.ToBase64String(p384.ExportPkcs8PrivateKey())));
        Assert.Throws<FormatException>(() => ServiceKeys.ImportPublic(Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo())));
    }
}
