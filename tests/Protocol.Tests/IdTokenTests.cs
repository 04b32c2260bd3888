using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.OpenIdConnect;

namespace OAuthAspire.Protocol.Tests;

public class IdTokenTests
{
    private static readonly Issuer TestIssuer = Issuer.Create("https://id.example.com", false);
    private static readonly RsaSecurityKey Key = new(RSA.Create(2048)) { KeyId = "k1" };
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static IdTokenContent Content(string? nonce = "n-0S6_WzA2Mj", string? accessToken = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") =>
        IdToken.Describe(TestIssuer, "user-1", "client-1", Now, TimeSpan.FromHours(1), Now.AddMinutes(-5), nonce, accessToken, "sid-1", ["pwd"]);

    [Fact]
    public void AtHashIsTheLeftHalfOfTheSha256OfTheAccessToken() =>
        // OpenID Connect Core Appendix A.4.
        Assert.Equal("77QmUPtjPfzWtF2AnpK9RQ", IdToken.AccessTokenHash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"));

    [Fact]
    public void TheClaimsCarryIssSubAudExpIatAuthTimeNonceAtHashSidAcrAmr()
    {
        var claims = IdToken.Claims(Content());
        Assert.Equal("https://id.example.com", claims["iss"]);
        Assert.Equal("user-1", claims["sub"]);
        Assert.Equal("client-1", claims["aud"]);
        Assert.Equal(Now.ToUnixTimeSeconds(), claims["iat"]);
        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds(), claims["exp"]);
        Assert.Equal(Now.AddMinutes(-5).ToUnixTimeSeconds(), claims["auth_time"]);
        Assert.Equal("n-0S6_WzA2Mj", claims["nonce"]);
        Assert.Equal("77QmUPtjPfzWtF2AnpK9RQ", claims["at_hash"]);
        Assert.Equal("sid-1", claims["sid"]);
        Assert.Equal(["pwd"], (string[])claims["amr"]);
        Assert.Equal("1", claims["acr"]);
    }

    [Fact]
    public void NoNonceInTheRequestMeansNoNonceClaim() => Assert.False(IdToken.Claims(Content(nonce: null)).ContainsKey("nonce"));

    [Fact]
    public void NoAccessTokenMeansNoAtHash() => Assert.False(IdToken.Claims(Content(accessToken: null)).ContainsKey("at_hash"));

    [Fact]
    public void AnIdTokenIsSignedRs256WithTypeJwtSoItNeverPassesAsAnAccessToken()
    {
        var jwt = new JsonWebToken(IdToken.Sign(Content(), new SigningCredentials(Key, SecurityAlgorithms.RsaSha256), new JsonWebTokenHandler()));
        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal("JWT", jwt.Typ);
        Assert.Equal("k1", jwt.Kid);
    }

    [Fact]
    public void AnIdTokenIsSignedOnlyWithAnAlgorithmOffered()
    {
        var ec = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        Assert.Equal("ES256", new JsonWebToken(IdToken.Sign(Content(), new SigningCredentials(ec, SecurityAlgorithms.EcdsaSha256), new JsonWebTokenHandler())).Alg);
        Assert.Equal("PS256", new JsonWebToken(IdToken.Sign(Content(), new SigningCredentials(Key, SecurityAlgorithms.RsaSsaPssSha256), new JsonWebTokenHandler())).Alg);
        var p384 = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP384));
        Assert.Throws<ArgumentException>(() => IdToken.Sign(Content(), new SigningCredentials(p384, SecurityAlgorithms.EcdsaSha384), new JsonWebTokenHandler()));
        Assert.Throws<ArgumentException>(() => IdToken.Sign(Content(), new SigningCredentials(Key, SecurityAlgorithms.RsaSha512), new JsonWebTokenHandler()));
    }

    [Theory]
    [InlineData(null, 100_000, true)]
    [InlineData(600, 599, true)]
    [InlineData(600, 600, true)]
    [InlineData(600, 601, false)]
    [InlineData(0, 1, false)]
    public void MaxAgeAsksForAFreshSignInOnceExceeded(int? maxAge, int secondsSinceSignIn, bool satisfied) =>
        Assert.Equal(satisfied, IdToken.SatisfiesMaxAge(Now.AddSeconds(-secondsSinceSignIn), maxAge, Now));

    [Fact]
    public void UserInfoReleasesProfileClaimsOnlyWithTheProfileScope()
    {
        var user = new UserClaimsSource("sys-1", "ada", "ada@example.com", "Ada", "Lovelace");
        Assert.Equal(["sub"], UserInfo.Claims(user, ["openid"]).Keys);
        var profile = UserInfo.Claims(user, ["openid", "profile"]);
        Assert.Equal("Ada Lovelace", profile["name"]);
        Assert.Equal("Ada", profile["given_name"]);
        Assert.Equal("Lovelace", profile["family_name"]);
        Assert.Equal("ada", profile["preferred_username"]);
        Assert.False(profile.ContainsKey("email"));
    }

    [Fact]
    public void UserInfoReleasesTheEmailOnlyWithTheEmailScopeAndNeverClaimsItVerified()
    {
        var claims = UserInfo.Claims(new UserClaimsSource("sys-1", "ada", "ada@example.com", "", ""), ["openid", "email"]);
        Assert.Equal("ada@example.com", claims["email"]);
        Assert.Equal(false, claims["email_verified"]);
        Assert.False(claims.ContainsKey("name"));
    }
}
