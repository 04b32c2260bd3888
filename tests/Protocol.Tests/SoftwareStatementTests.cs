using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 7591 §2.3: who may sign a software statement, with what, until when; its claims win over the request's.</summary>
public class SoftwareStatementTests
{
    private const string Publisher = "https://publisher.example.com";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly ECDsaSecurityKey Key = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "pub-1" };
    private static readonly ECDsaSecurityKey Other = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "pub-1" };
    private static readonly SoftwareStatementTrust Trust = new(Publisher, Jwks(Key), Required: false);

    private static string Jwks(ECDsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ECDsa.ExportParameters(false))) { KeyId = key.KeyId });
        return JsonSerializer.Serialize(new { keys = new[] { new { jwk.Kty, jwk.Crv, jwk.X, jwk.Y, jwk.Kid } } },
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower });
    }

    private static string Sign(Dictionary<string, object>? extra = null, SecurityKey? key = null, string alg = "ES256", string issuer = Publisher, string? typ = null)
    {
        var claims = new Dictionary<string, object> { ["iss"] = issuer, ["software_id"] = "4NRB1-0XZABZI9E6-5SM3R", ["client_name"] = "Example Statement-based Client" };
        foreach (var (name, value) in extra ?? [])
        {
            claims[name] = value;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = typ,
            SigningCredentials = new SigningCredentials(key ?? Key, alg),
        });
    }

    [Fact]
    public async Task AnotherKindOfJwtFromTheSameIssuerIsNoStatement()
    {
        foreach (var typ in new[] { "at+jwt", "application/dpop+jwt", "oauth-authz-req+jwt" })
        {
            Assert.Equal(RegistrationError.InvalidSoftwareStatement, (await SoftwareStatement.VerifyAsync(Sign(typ: typ), Trust, Now)).Error!.Error);
        }

        Assert.Null((await SoftwareStatement.VerifyAsync(Sign(typ: "JWT"), Trust, Now)).Error);
    }

    [Fact]
    public void MetadataNamingAMemberTwiceIsRefusedNotGuessedAt()
    {
        var (metadata, error) = ClientMetadata.Read(JsonDocument.Parse("""{"client_name":"a","client_name":"b"}""").RootElement);

        Assert.Null(metadata);
        Assert.Equal("client_name", error!.Field);
        Assert.Equal("scope", ClientMetadata.RepeatedMember(JsonDocument.Parse("""{"scope":"a","x":1,"scope":"b"}""").RootElement));
    }

    [Fact]
    public async Task AStatementOfTheTrustedIssuerGivesItsClaims()
    {
        var (claims, error) = await SoftwareStatement.VerifyAsync(Sign(), Trust, Now);

        Assert.Null(error);
        Assert.Equal("4NRB1-0XZABZI9E6-5SM3R", claims!.Value.GetProperty("software_id").GetString());
    }

    [Fact]
    public async Task WithoutATrustedIssuerOrFromAnotherIssuerItIsUnapproved()
    {
        Assert.Equal(RegistrationError.UnapprovedSoftwareStatement, (await SoftwareStatement.VerifyAsync(Sign(), null, Now)).Error!.Error);
        Assert.Equal(RegistrationError.UnapprovedSoftwareStatement,
            (await SoftwareStatement.VerifyAsync(Sign(issuer: "https://elsewhere.example.com"), Trust, Now)).Error!.Error);
    }

    [Fact]
    public async Task AnotherKeyAMacOrNoJwtAtAllIsInvalid()
    {
        var mac = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "pub-1" };

        foreach (var statement in new[] { Sign(key: Other), Sign(key: mac, alg: "HS256"), "not-a-jwt", Sign()[..^4] + "AAAA" })
        {
            var (claims, error) = await SoftwareStatement.VerifyAsync(statement, Trust, Now);
            Assert.Null(claims);
            Assert.Equal(RegistrationError.InvalidSoftwareStatement, error!.Error);
            Assert.Equal("software_statement", error.Field);
        }
    }

    [Fact]
    public async Task ExpiryAndNotBeforeAreHonouredWhenPresent()
    {
        var expired = Sign(new() { ["exp"] = Now.AddMinutes(-5).ToUnixTimeSeconds() });
        var early = Sign(new() { ["nbf"] = Now.AddMinutes(5).ToUnixTimeSeconds() });
        var live = Sign(new() { ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds() });

        Assert.Contains("expired", (await SoftwareStatement.VerifyAsync(expired, Trust, Now)).Error!.Description);
        Assert.NotNull((await SoftwareStatement.VerifyAsync(early, Trust, Now)).Error);
        Assert.Null((await SoftwareStatement.VerifyAsync(live, Trust, Now)).Error);
    }

    [Fact]
    public async Task ItsClaimsReplaceTheRequestsButNeverTheClientsIdOrTheJwtsOwnClaims()
    {
        var (claims, _) = await SoftwareStatement.VerifyAsync(Sign(new() { ["client_id"] = "chosen", ["redirect_uris"] = new[] { "https://pub.example.com/cb" } }),
            Trust, Now);
        var body = JsonDocument.Parse("""{"client_id":"mine","client_name":"Typed in","redirect_uris":["https://evil.example.com/cb"],"software_statement":"x"}""")
            .RootElement;

        var merged = SoftwareStatement.Merge(body, claims!.Value);

        Assert.Equal("Example Statement-based Client", merged.GetProperty("client_name").GetString());
        Assert.Equal("https://pub.example.com/cb", merged.GetProperty("redirect_uris")[0].GetString());
        Assert.Equal("mine", merged.GetProperty("client_id").GetString());
        Assert.Equal("x", merged.GetProperty("software_statement").GetString());
        Assert.False(merged.TryGetProperty("iss", out _));
    }

    [Fact]
    public void APolicysKeysMustBePublicRsaOrEcKeys()
    {
        Assert.Null(SoftwareStatement.ReadKeys(Jwks(Key)).Problem);
        Assert.NotNull(SoftwareStatement.ReadKeys("""{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}""").Problem);
        Assert.NotNull(SoftwareStatement.ReadKeys("not json").Problem);
        var priv = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(Key);
        Assert.Equal("must hold public keys only",
            SoftwareStatement.ReadKeys(JsonSerializer.Serialize(new { keys = new[] { new { kty = "EC", crv = priv.Crv, x = priv.X, y = priv.Y, d = priv.D } } })).Problem);
    }
}
