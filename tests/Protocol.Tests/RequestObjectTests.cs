using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9101 request objects: who signed, for whom, how long, in which form; only their claims count.</summary>
public class RequestObjectTests
{
    private const string Issuer = "https://id.example.com";
    private const string ClientId = "billing-app";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly RsaSecurityKey Key = new(RSA.Create(2048)) { KeyId = "k1" };
    private static readonly string[] Algorithms = ["RS256", "PS256", "ES256"];

    private static Dictionary<string, object> Claims(Action<Dictionary<string, object>>? change = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = ClientId, ["aud"] = Issuer, ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(), ["nbf"] = Now.AddSeconds(-5).ToUnixTimeSeconds(),
            ["jti"] = "jti-1", ["response_type"] = "code", ["client_id"] = ClientId, ["redirect_uri"] = "https://app.example.com/cb",
            ["scope"] = "openid", ["max_age"] = 300,
        };
        change?.Invoke(claims);
        return claims;
    }

    private static string Sign(Dictionary<string, object> claims, string? typ = RequestObject.MediaType, SecurityKey? key = null, string alg = "RS256") =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = typ,
            SigningCredentials = new SigningCredentials(key ?? Key, alg),
        });

    // IdentityModel always writes a typ: this one has none, as RFC 9101 §4 still allows.
    // Also the only way to send a claim twice: every serializer refuses to.
    private static string SignWithoutTyp(Dictionary<string, object> claims, string extra = "")
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"RS256\",\"kid\":\"k1\"}");
        var json = System.Text.Json.JsonSerializer.Serialize(claims);
        var payload = Base64UrlEncoder.Encode(json[..^1] + extra + "}");
        var signature = Key.Rsa.SignData(System.Text.Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64UrlEncoder.Encode(signature)}";
    }

    private static Task<RequestObjectResult> ValidateAsync(string jwt) =>
        RequestObject.ValidateAsync(jwt, ClientId, Issuer, [Key], Algorithms, TimeSpan.FromSeconds(10), Now);

    [Fact]
    public async Task AGoodObjectsClaimsAreTheParametersAndItsJtiIsGivenForTheOneTimeCheck()
    {
        var result = await ValidateAsync(Sign(Claims()));

        Assert.True(result.IsValid, result.Problem);
        Assert.Equal("code", result.Parameters!["response_type"]);
        Assert.Equal("300", result.Parameters["max_age"]);
        Assert.Equal(ClientId, result.Parameters["client_id"]);
        Assert.Null(result.Parameters["iss"]);
        Assert.Equal("jti-1", result.Jti);
        Assert.Equal(Now.AddMinutes(5), result.ExpiresAt);
    }

    [Fact]
    public async Task WithoutTypOrClientIdAnObjectStillPasses()
    {
        var result = await ValidateAsync(SignWithoutTyp(Claims(c => c.Remove("client_id"))));

        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(ClientId, result.Parameters!["client_id"]);
    }

    [Theory]
    [InlineData("iss", "another-app")]
    [InlineData("aud", "https://other.example.com")]
    [InlineData("client_id", "another-app")]
    [InlineData("request_uri", "urn:ietf:params:oauth:request_uri:x")]
    public async Task AnotherSignerAudienceOrClientOrANestedReferenceIsRefused(string claim, string value) =>
        Assert.False((await ValidateAsync(Sign(Claims(c => c[claim] = value)))).IsValid);

    [Fact]
    public async Task AnExpiredANotYetValidOrALongLivedObjectIsRefused()
    {
        Assert.False((await ValidateAsync(Sign(Claims(c => c["exp"] = Now.AddMinutes(-1).ToUnixTimeSeconds())))).IsValid);
        Assert.False((await ValidateAsync(Sign(Claims(c => c["nbf"] = Now.AddMinutes(1).ToUnixTimeSeconds())))).IsValid);
        Assert.False((await ValidateAsync(Sign(Claims(c => c["exp"] = Now.AddHours(2).ToUnixTimeSeconds())))).IsValid);
    }

    [Fact]
    public async Task AClientAssertionNeverPassesForARequestObject() =>
        Assert.Contains("typ", (await ValidateAsync(Sign(Claims(), typ: "JWT"))).Problem);

    [Fact]
    public async Task UnsignedSymmetricTamperedOrUnknownKeysAreRefused()
    {
        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = Claims(), TokenType = RequestObject.MediaType });
        Assert.False((await ValidateAsync(unsigned)).IsValid);
        var hmac = Sign(Claims(), key: new SymmetricSecurityKey(new byte[32]), alg: "HS256");
        Assert.False((await ValidateAsync(hmac)).IsValid);
        var parts = Sign(Claims()).Split('.');
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode("{\"iss\":\"billing-app\",\"aud\":\"https://id.example.com\",\"scope\":\"admin.api\"}")}.{parts[2]}";
        Assert.False((await ValidateAsync(tampered)).IsValid);
        var stranger = await ValidateAsync(Sign(Claims(), key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k2" }));
        Assert.True(stranger.UnknownKey);
        Assert.False((await ValidateAsync("not.a.jwt")).IsValid);
    }

    [Fact]
    public async Task WithoutExpWithASubjectOrForAYearItIsRefused()
    {
        Assert.Contains("exp", (await ValidateAsync(Sign(Claims(c => c.Remove("exp"))))).Problem);
        // A sub would let it pass for a client assertion or a JWT bearer grant, signed as it is by the same key.
        Assert.Contains("sub", (await ValidateAsync(Sign(Claims(c => c["sub"] = ClientId)))).Problem);
        // Its whole life counts, not what is left of it.
        Assert.False((await ValidateAsync(Sign(Claims(c => c["iat"] = Now.AddDays(-365).ToUnixTimeSeconds())))).IsValid);
        Assert.False((await ValidateAsync(Sign(Claims(c => c["iat"] = Now.AddMinutes(5).ToUnixTimeSeconds())))).IsValid);
    }

    [Fact]
    public async Task ARepeatedClaimOrAParameterThatIsNoStringIsRefused()
    {
        Assert.Contains("repeats", (await ValidateAsync(SignWithoutTyp(Claims(),
            extra: ",\"scope\":\"openid admin.api\""))).Problem);
        Assert.Contains("string", (await ValidateAsync(Sign(Claims(c => c["scope"] = new[] { "openid" })))).Problem);
        Assert.Contains("string", (await ValidateAsync(Sign(Claims(c => c["prompt"] = true)))).Problem);
        var claims = await ValidateAsync(Sign(Claims(c => c["claims"] = new Dictionary<string, object> { ["userinfo"] = new Dictionary<string, object>() })));
        Assert.True(claims.IsValid, claims.Problem);
    }

    [Fact]
    public async Task SeveralResourcesComeAsAnArrayAndEachMustBeOneUri()
    {
        var result = await ValidateAsync(Sign(Claims(c => c["resource"] = new[] { "https://a.example/api", "https://b.example/api" })));
        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(["https://a.example/api", "https://b.example/api"], result.Parameters!.All("resource"));

        // Stored joined by spaces, a string with a space would read back as two: refused.
        Assert.False((await ValidateAsync(Sign(Claims(c => c["resource"] = "https://a.example/api https://b.example/api")))).IsValid);
    }

    [Fact]
    public async Task AFapi2ClientsObjectMustCarryNbf()
    {
        var withoutNbf = Sign(Claims(c => c.Remove("nbf")));
        Assert.True((await ValidateAsync(withoutNbf)).IsValid);
        Assert.False((await RequestObject.ValidateAsync(withoutNbf, ClientId, Issuer, [Key], Algorithms, TimeSpan.FromSeconds(10), Now, requireNotBefore: true)).IsValid);
        Assert.True((await RequestObject.ValidateAsync(Sign(Claims()), ClientId, Issuer, [Key], Algorithms, TimeSpan.FromSeconds(10), Now, requireNotBefore: true)).IsValid);
    }
}
