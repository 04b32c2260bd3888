using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Protocol.Tests;

public class AccessTokenTests
{
    private static readonly Issuer TestIssuer = Issuer.Create("https://id.example.com", false);
    private const string Audience = "https://id.example.com/api";
    private static readonly RsaSecurityKey Key = new(RSA.Create(2048)) { KeyId = "key-1" };
    private static readonly RsaSecurityKey OtherKey = new(RSA.Create(2048)) { KeyId = "key-2" };
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly AccessTokenValidator _validator = new();

    private static AccessTokenContent Content(TimeSpan? lifetime = null, DateTimeOffset? now = null) =>
        AccessToken.Describe(TestIssuer, Audience, "my-client", "user-sys-id", ["b", "a"], ["admin"], lifetime ?? TimeSpan.FromMinutes(30), now ?? DateTimeOffset.UtcNow, "admin");

    private static string Sign(AccessTokenContent content, SecurityKey? key = null) =>
        AccessToken.Sign(content, new SigningCredentials(key ?? Key, SecurityAlgorithms.RsaSha256), Handler);

    [Fact]
    public void TheHeaderDeclaresTypeAtJwtAndTheKeyId()
    {
        var jwt = new JsonWebToken(Sign(Content()));
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("key-1", jwt.Kid);
        Assert.Equal("RS256", jwt.Alg);
    }

    [Fact]
    public void TheClaimsFollowRfc9068()
    {
        var content = Content();
        var jwt = new JsonWebToken(Sign(content));
        Assert.Equal("https://id.example.com", jwt.Issuer);
        Assert.Equal("user-sys-id", jwt.Subject);
        Assert.Equal([Audience], jwt.Audiences);
        Assert.Equal("my-client", jwt.GetPayloadValue<string>("client_id"));
        Assert.Equal("a b", jwt.GetPayloadValue<string>("scope"));
        Assert.Equal(content.Jti, jwt.Id);
        Assert.Equal(content.IssuedAt.ToUnixTimeSeconds(), jwt.GetPayloadValue<long>("iat"));
        Assert.Equal(content.ExpiresAt.ToUnixTimeSeconds(), jwt.GetPayloadValue<long>("exp"));
        Assert.Equal(["admin"], jwt.GetPayloadValue<string[]>("roles"));
    }

    [Fact]
    public void ExpiryIsTheLifetimeAfterIssueInWholeSeconds()
    {
        var content = Content(TimeSpan.FromSeconds(1800), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_900));
        Assert.Equal(1_700_000_000, content.IssuedAt.ToUnixTimeSeconds());
        Assert.Equal(1_700_001_800, content.ExpiresAt.ToUnixTimeSeconds());
    }

    [Fact]
    public void TokenIdsAreUniqueAndUnguessable()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => AccessToken.NewJti()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id => Assert.Equal(22, id.Length));
    }

    [Fact]
    public async Task AValidTokenPassesAndItsClaimsAreRead()
    {
        var content = Content();
        var result = await _validator.ValidateAsync(Sign(content), TestIssuer.Value, Audience, [Key], TimeSpan.Zero);
        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(content.Jti, result.Token!.Jti);
        Assert.Equal(["a", "b"], result.Token.Scopes);
        Assert.Equal("my-client", result.Token.ClientId);
    }

    [Fact]
    public async Task ATokenSignedWithAnUnknownKeyReportsUnknownKey() =>
        Assert.Equal(TokenFailure.UnknownKey, (await _validator.ValidateAsync(Sign(Content(), OtherKey), TestIssuer.Value, Audience, [Key], TimeSpan.Zero)).Failure);

    [Fact]
    public async Task ATamperedPayloadFailsTheSignature()
    {
        var parts = Sign(Content()).Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"a b\"", "\"a b admin.api\"");
        var forged = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        Assert.Equal(TokenFailure.BadSignature, (await _validator.ValidateAsync(forged, TestIssuer.Value, Audience, [Key], TimeSpan.Zero)).Failure);
    }

    [Fact]
    public async Task AnIdTokenTypedJwtIsNotAnAccessToken()
    {
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = AccessToken.Claims(Content()),
            TokenType = "JWT",
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        });
        Assert.Equal(TokenFailure.WrongType, (await _validator.ValidateAsync(token, TestIssuer.Value, Audience, [Key], TimeSpan.Zero)).Failure);
    }

    [Fact]
    public async Task AnUnsignedTokenIsRefused()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        var payload = Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.Serialize(AccessToken.Claims(Content())));
        var result = await _validator.ValidateAsync($"{header}.{payload}.", TestIssuer.Value, Audience, [Key], TimeSpan.Zero);
        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task AnExpiredTokenIsRefused()
    {
        var content = Content(TimeSpan.FromSeconds(60), DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(TokenFailure.Expired, (await _validator.ValidateAsync(Sign(content), TestIssuer.Value, Audience, [Key], TimeSpan.Zero)).Failure);
    }

    [Fact]
    public async Task ATokenForAnotherAudienceIsRefused() =>
        Assert.Equal(TokenFailure.WrongAudience, (await _validator.ValidateAsync(Sign(Content()), TestIssuer.Value, "https://other/api", [Key], TimeSpan.Zero)).Failure);

    [Fact]
    public async Task ATokenFromAnotherIssuerIsRefused() =>
        Assert.Equal(TokenFailure.WrongIssuer, (await _validator.ValidateAsync(Sign(Content()), "https://evil.example.com", Audience, [Key], TimeSpan.Zero)).Failure);

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("")]
    public async Task GarbageIsMalformed(string token) =>
        Assert.False((await _validator.ValidateAsync(token, TestIssuer.Value, Audience, [Key], TimeSpan.Zero)).IsValid);

    [Fact]
    public void IntrospectionOfAnInactiveTokenSaysOnlyActiveFalse()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(IntrospectionResponse.Inactive, ProtocolJson.Options);
        Assert.Equal("""{"active":false}""", json);
    }

    // --- cnf (RFC 7800, RFC 9449 §6) ---

    private const string Jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    private static System.Text.Json.JsonElement PayloadOf(string token) =>
        System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[1])).RootElement;

    [Fact]
    public void ABoundTokenCarriesCnfAsAJsonObject()
    {
        var cnf = PayloadOf(Sign(Content() with { Cnf = new Confirmation(Jkt, null) })).GetProperty("cnf");
        Assert.Equal(System.Text.Json.JsonValueKind.Object, cnf.ValueKind);
        Assert.Equal(Jkt, cnf.GetProperty("jkt").GetString());
        Assert.False(cnf.TryGetProperty("x5t#S256", out _));
    }

    [Fact]
    public void AnUnboundTokenHasNoCnf()
    {
        Assert.False(PayloadOf(Sign(Content())).TryGetProperty("cnf", out _));
        Assert.False(PayloadOf(Sign(Content() with { Cnf = new Confirmation(null, null) })).TryGetProperty("cnf", out _));
    }

    [Fact]
    public async Task TheCnfOfAValidatedTokenIsReadBack()
    {
        var result = await _validator.ValidateAsync(Sign(Content() with { Cnf = new Confirmation(Jkt, null) }), TestIssuer.Value, Audience, [Key], TimeSpan.Zero);
        Assert.True(result.IsValid, result.Detail);
        Assert.Equal(new Confirmation(Jkt, null), result.Token!.Cnf);
    }

    [Fact]
    public void ACertificateThumbprintIsReadBackToo()
    {
        var read = AccessTokenValidator.Read(new JsonWebToken(Sign(Content() with { Cnf = new Confirmation(Jkt, "certificate-thumbprint") })));
        Assert.Equal(new Confirmation(Jkt, "certificate-thumbprint"), read!.Cnf);
    }

    [Fact]
    public void AnUnboundTokenReadsWithoutCnf() =>
        Assert.Null(AccessTokenValidator.Read(new JsonWebToken(Sign(Content())))!.Cnf);

    [Fact]
    public void ACnfThatIsNoObjectIsNoConfirmation()
    {
        var claims = AccessToken.Claims(Content());
        claims["cnf"] = Jkt;
        var token = Handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, TokenType = AccessToken.JwtType, SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256) });
        Assert.Null(AccessTokenValidator.Read(new JsonWebToken(token))!.Cnf);
    }

    [Fact]
    public void IntrospectionOfADpopBoundTokenSaysDpopAndGivesTheThumbprint()
    {
        var response = IntrospectionResponse.For(Content() with { Cnf = new Confirmation(Jkt, null) });
        Assert.Equal("DPoP", response.TokenType);

        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(response, ProtocolJson.Options));
        Assert.Equal("DPoP", json.RootElement.GetProperty("token_type").GetString());
        Assert.Equal("""{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}""", json.RootElement.GetProperty("cnf").GetRawText());
    }

    [Fact]
    public void IntrospectionOfABearerTokenSaysBearerWithoutCnf()
    {
        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(IntrospectionResponse.For(Content()), ProtocolJson.Options));
        Assert.Equal("Bearer", json.RootElement.GetProperty("token_type").GetString());
        Assert.False(json.RootElement.TryGetProperty("cnf", out _));
    }

    [Fact]
    public void IntrospectionOfACertificateBoundTokenStaysBearer()
    {
        var response = IntrospectionResponse.For(Content() with { Cnf = new Confirmation(null, "certificate-thumbprint") });
        Assert.Equal("Bearer", response.TokenType);
        Assert.Equal("""{"x5t#S256":"certificate-thumbprint"}""", System.Text.Json.JsonSerializer.Serialize(response.Cnf, ProtocolJson.Options));
    }

    [Fact]
    public void AConfirmationSerializesOnlyItsKeys() =>
        Assert.Equal("""{"jkt":"abc"}""", System.Text.Json.JsonSerializer.Serialize(new Confirmation("abc", null)));
}
