using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.Protocol.Tests;

public class JwtAssertionTests
{
    private const string ClientId = "jwt-client-1";
    private const string Issuer = "https://id.example.com";
    private const string TokenEndpoint = "https://id.example.com/oauth/token";
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly RsaSecurityKey PrivateKey = new(Rsa) { KeyId = "rsa-1" };
    private static readonly RsaSecurityKey PublicKey = new(Rsa.ExportParameters(false)) { KeyId = "rsa-1" };
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly AssertionPolicy Policy = new(AssertionPolicy.DefaultAlgorithms, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), [], true);
    private static readonly AssertionExpectations Grant = new(ClientId, [Issuer, TokenEndpoint]);

    private static string Sign(Dictionary<string, object>? overrides = null, SigningCredentials? credentials = null, string? type = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = ClientId,
            ["sub"] = "ada",
            ["aud"] = TokenEndpoint,
            ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
            ["iat"] = Now.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString(),
        };
        foreach (var (k, v) in overrides ?? [])
        {
            if (v is null)
            {
                claims.Remove(k);
            }
            else
            {
                claims[k] = v;
            }
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = credentials ?? new SigningCredentials(PrivateKey, SecurityAlgorithms.RsaSha256),
            TokenType = type,
        });
    }

    private static Task<AssertionResult> Validate(string jwt, AssertionPolicy? policy = null, AssertionExpectations? expected = null,
        IReadOnlyCollection<SecurityKey>? keys = null, Func<string, DateTimeOffset, ValueTask<bool>>? useJti = null) =>
        JwtAssertion.ValidateAsync(jwt, keys ?? [PublicKey], policy ?? Policy, expected ?? Grant, Now, useJti ?? ((_, _) => ValueTask.FromResult(true)));

    [Fact]
    public async Task AWellFormedAssertionIsAccepted()
    {
        var result = await Validate(Sign());
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("ada", result.Claims!.Subject);
    }

    [Fact]
    public async Task AnUnsignedAssertionIsRefused()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none"}""");
        var payload = Sign().Split('.')[1];
        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate($"{header}.{payload}.")).Failure);
    }

    [Fact]
    public async Task AlgorithmConfusionHs256SignedWithThePublicRsaKeyIsRefused()
    {
        // The attacker signs with HMAC keyed by the RSA public key's bytes.
        var secret = new SymmetricSecurityKey(Rsa.ExportRSAPublicKey()) { KeyId = "rsa-1" };
        var forged = Sign(credentials: new SigningCredentials(secret, SecurityAlgorithms.HmacSha256));
        var allowingHs = Policy with { Algorithms = [.. AssertionPolicy.DefaultAlgorithms, SecurityAlgorithms.HmacSha256] };

        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate(forged)).Failure);
        Assert.False((await Validate(forged, allowingHs)).IsValid);
    }

    [Fact]
    public async Task Hs256WorksOnlyWithARegisteredSharedKey()
    {
        var shared = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('s', 32))) { KeyId = "shared" };
        var jwt = Sign(credentials: new SigningCredentials(shared, SecurityAlgorithms.HmacSha256));
        var policy = Policy with { Algorithms = [SecurityAlgorithms.HmacSha256] };

        Assert.True((await Validate(jwt, policy, keys: [shared])).IsValid);
        Assert.False((await Validate(jwt, policy, keys: [PublicKey])).IsValid);
    }

    [Fact]
    public async Task AnAlgorithmOutsideTheClientsListIsRefused()
    {
        var policy = Policy with { Algorithms = [SecurityAlgorithms.EcdsaSha256] };
        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate(Sign(), policy)).Failure);
    }

    [Fact]
    public async Task AnExpiredAssertionIsRefused() =>
        Assert.Equal(AssertionFailure.Expired, (await Validate(Sign(new() { ["exp"] = Now.AddMinutes(-10).ToUnixTimeSeconds(), ["iat"] = Now.AddMinutes(-20).ToUnixTimeSeconds() }))).Failure);

    [Fact]
    public async Task AnAssertionWithoutExpiryIsRefused() =>
        Assert.False((await Validate(Sign(new() { ["exp"] = null! }))).IsValid);

    [Fact]
    public async Task ANotBeforeBeyondTheSkewIsRefused() =>
        Assert.Equal(AssertionFailure.NotYetValid, (await Validate(Sign(new() { ["nbf"] = Now.AddMinutes(10).ToUnixTimeSeconds(), ["exp"] = Now.AddMinutes(20).ToUnixTimeSeconds() }))).Failure);

    [Fact]
    public async Task AnIssuedAtInTheFutureBeyondTheSkewIsRefused() =>
        Assert.Equal(AssertionFailure.IssuedInTheFuture, (await Validate(Sign(new() { ["iat"] = Now.AddMinutes(10).ToUnixTimeSeconds(), ["exp"] = Now.AddMinutes(20).ToUnixTimeSeconds() }))).Failure);

    [Fact]
    public async Task AnAssertionLivingLongerThanTheMaximumIsRefused() =>
        Assert.Equal(AssertionFailure.LifetimeTooLong, (await Validate(Sign(new() { ["exp"] = Now.AddHours(3).ToUnixTimeSeconds() }))).Failure);

    [Fact]
    public async Task AWrongIssuerIsRefused() =>
        Assert.Equal(AssertionFailure.WrongIssuer, (await Validate(Sign(new() { ["iss"] = "someone-else" }))).Failure);

    [Theory]
    [InlineData("https://other.example.com/oauth/token")]
    [InlineData(ClientId)]
    public async Task AnAudienceThatIsNotTheIssuerOrTokenEndpointIsRefused(string audience) =>
        Assert.Equal(AssertionFailure.WrongAudience, (await Validate(Sign(new() { ["aud"] = audience }))).Failure);

    [Fact]
    public async Task TheIssuerItselfIsAnAcceptedAudience() => Assert.True((await Validate(Sign(new() { ["aud"] = Issuer }))).IsValid);

    [Fact]
    public async Task TheClientIdIsAnAcceptedAudienceOnlyWithTheCompatibilityFlag()
    {
        var jwt = Sign(new() { ["aud"] = ClientId });
        Assert.False((await Validate(jwt)).IsValid);
        Assert.True((await Validate(jwt, expected: Grant with { Audiences = [Issuer, TokenEndpoint, ClientId] })).IsValid);
    }

    [Fact]
    public async Task AClientAssertionMustNameTheIssuerAsItsSoleAudience()
    {
        var expected = new AssertionExpectations(ClientId, [Issuer], SoleAudience: true, Subject: ClientId);
        Assert.True((await Validate(Sign(new() { ["aud"] = Issuer, ["sub"] = ClientId }), expected: expected)).IsValid);
        Assert.True((await Validate(Sign(new() { ["aud"] = new[] { Issuer }, ["sub"] = ClientId }), expected: expected)).IsValid);
        Assert.Equal(AssertionFailure.WrongAudience, (await Validate(Sign(new() { ["aud"] = new[] { Issuer, TokenEndpoint }, ["sub"] = ClientId }), expected: expected)).Failure);
        Assert.Equal(AssertionFailure.WrongAudience, (await Validate(Sign(new() { ["aud"] = TokenEndpoint, ["sub"] = ClientId }), expected: expected)).Failure);
        Assert.Equal(AssertionFailure.WrongSubject, (await Validate(Sign(new() { ["aud"] = Issuer }), expected: expected)).Failure);
    }

    [Fact]
    public async Task AFapi2ClientsAssertionNamesTheIssuerAsAStringNotAnArray()
    {
        var expected = new AssertionExpectations(ClientId, [Issuer], SoleAudience: true, Subject: ClientId, AudienceAsString: true);
        Assert.True((await Validate(Sign(new() { ["aud"] = Issuer, ["sub"] = ClientId }), expected: expected)).IsValid);
        Assert.Equal(AssertionFailure.WrongAudience, (await Validate(Sign(new() { ["aud"] = new[] { Issuer }, ["sub"] = ClientId }), expected: expected)).Failure);
    }

    [Fact]
    public async Task AReplayedJtiIsRefused()
    {
        var used = new HashSet<string>();
        ValueTask<bool> Use(string jti, DateTimeOffset _) => ValueTask.FromResult(used.Add(jti));
        var jwt = Sign();

        Assert.True((await Validate(jwt, useJti: Use)).IsValid);
        Assert.Equal(AssertionFailure.Replayed, (await Validate(jwt, useJti: Use)).Failure);
    }

    [Fact]
    public async Task AUsedJtiIsRememberedUntilExpiryPlusTheSkewBecauseTheAssertionIsAcceptedThatLong()
    {
        var exp = Now.AddSeconds(-30).ToUnixTimeSeconds();
        DateTimeOffset? keptUntil = null;
        var result = await Validate(Sign(new() { ["exp"] = exp, ["iat"] = exp - 60 }), useJti: (_, until) =>
        {
            keptUntil = until;
            return ValueTask.FromResult(true);
        });

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(exp) + Policy.ClockSkew, keptUntil);
    }

    [Fact]
    public async Task AnAssertionWhoseWholeLifeExceedsTheMaximumIsRefusedEvenNearItsEnd() =>
        Assert.Equal(AssertionFailure.LifetimeTooLong,
            (await Validate(Sign(new() { ["iat"] = Now.AddDays(-2).ToUnixTimeSeconds(), ["exp"] = Now.AddMinutes(1).ToUnixTimeSeconds() }))).Failure);

    [Fact]
    public async Task AMissingJtiIsRefusedWhenTheCheckIsOn()
    {
        var jwt = Sign(new() { ["jti"] = null! });
        Assert.Equal(AssertionFailure.MissingJti, (await Validate(jwt)).Failure);
        Assert.True((await Validate(jwt, Policy with { JtiRequired = false })).IsValid);
    }

    [Fact]
    public async Task ARequiredClaimMustBePresent() =>
        Assert.Equal(AssertionFailure.MissingClaim, (await Validate(Sign(), Policy with { RequiredClaims = ["tenant"] })).Failure);

    [Fact]
    public async Task AnUnknownKidIsReportedSoTheCallerCanRefetchTheKeys()
    {
        var other = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa-2" };
        var jwt = Sign(credentials: new SigningCredentials(other, SecurityAlgorithms.RsaSha256));
        Assert.Equal(AssertionFailure.UnknownKey, (await Validate(jwt)).Failure);
        // After the client published its new key (a refetch of its JWKS), the same assertion passes.
        Assert.True((await Validate(jwt, keys: [PublicKey, new RsaSecurityKey(other.Rsa.ExportParameters(false)) { KeyId = "rsa-2" }])).IsValid);
    }

    [Fact]
    public async Task ASignatureByAnotherKeyUnderTheSameKidFails()
    {
        var impostor = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa-1" };
        Assert.Equal(AssertionFailure.BadSignature, (await Validate(Sign(credentials: new SigningCredentials(impostor, SecurityAlgorithms.RsaSha256)))).Failure);
    }

    [Fact]
    public async Task GarbageIsMalformed() => Assert.Equal(AssertionFailure.Malformed, (await Validate("not-a-jwt")).Failure);

    [Fact]
    public void KeysOnlyFitTheirAlgorithmFamily()
    {
        Assert.True(JwtAssertion.Fits(PublicKey, "RS256"));
        Assert.True(JwtAssertion.Fits(PublicKey, "PS256"));
        Assert.False(JwtAssertion.Fits(PublicKey, "HS256"));
        Assert.False(JwtAssertion.Fits(PublicKey, "ES256"));
        Assert.False(JwtAssertion.Fits(new SymmetricSecurityKey(new byte[32]), "RS256"));
    }

    [Theory]
    [InlineData("oauth-authz-req+jwt")]
    [InlineData("application/oauth-authz-req+jwt")]
    [InlineData("dpop+jwt")]
    [InlineData("at+jwt")]
    public async Task AJwtOfAnotherKindNeverPassesForAnAssertion(string type) =>
        Assert.Equal(AssertionFailure.WrongType, (await Validate(Sign(type: type))).Failure);
}
