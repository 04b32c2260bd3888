using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Dpop;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9449 §4.3: every check a DPoP proof must pass, each with a proof that fails only it.</summary>
public class DpopProofValidatorTests
{
    private const string TokenUri = "https://id.example.com/oauth/token";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(5);
    private static readonly DpopProofExpectations AtTokenEndpoint = new("POST", [TokenUri], null, MaxAge, Skew);

    private static readonly ECDsaSecurityKey EcKey = new(ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly ECDsaSecurityKey OtherEcKey = new(ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly ECDsaSecurityKey Ec384Key = new(ECDsa.Create(ECCurve.NamedCurves.nistP384));
    private static readonly RsaSecurityKey RsaKey = new(RSA.Create(2048));

    // No iat, nbf or exp added behind the test's back: each proof states exactly its claims.
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly DpopProofValidator _validator = new();

    private static Dictionary<string, object> PublicJwk(SecurityKey key)
    {
        if (key is ECDsaSecurityKey ec)
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec);
            return new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y };
        }

        var rsa = JsonWebKeyConverter.ConvertFromRSASecurityKey((RsaSecurityKey)key);
        return new Dictionary<string, object> { ["kty"] = "RSA", ["n"] = rsa.N, ["e"] = rsa.E };
    }

    /// <summary>RFC 7638 §3 by hand: the required members in lexicographic order, no whitespace, SHA-256.</summary>
    private static string Rfc7638Thumbprint(Dictionary<string, object> jwk)
    {
        var canonical = (string)jwk["kty"] == "EC"
            ? "{\"crv\":\"" + jwk["crv"] + "\",\"kty\":\"EC\",\"x\":\"" + jwk["x"] + "\",\"y\":\"" + jwk["y"] + "\"}"
            : "{\"e\":\"" + jwk["e"] + "\",\"kty\":\"RSA\",\"n\":\"" + jwk["n"] + "\"}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>A proof for POST <see cref="TokenUri"/> at <see cref="Now"/>, signed by <paramref name="signer"/> with its own public key in the header.</summary>
    private static string Proof(
        Action<Dictionary<string, object>>? claims = null,
        Action<Dictionary<string, object>>? header = null,
        SecurityKey? signer = null,
        string alg = "ES256",
        SecurityKey? embedded = null)
    {
        signer ??= EcKey;
        var payload = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["htm"] = "POST",
            ["htu"] = TokenUri,
            ["iat"] = Now.ToUnixTimeSeconds(),
        };
        claims?.Invoke(payload);
        var headers = new Dictionary<string, object> { ["jwk"] = PublicJwk(embedded ?? signer) };
        header?.Invoke(headers);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            TokenType = "dpop+jwt",
            AdditionalHeaderClaims = headers,
            SigningCredentials = new SigningCredentials(signer, alg),
        });
    }

    /// <summary>A compact JWS built by hand, for what the handler refuses to make (alg none, weak keys).</summary>
    private static string Handmade(object header, object payload, Func<byte[], byte[]>? sign = null)
    {
        var input = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(input)));
        return input + "." + signature;
    }

    private static Dictionary<string, object> Claims() => new()
    {
        ["jti"] = "handmade-1",
        ["htm"] = "POST",
        ["htu"] = TokenUri,
        ["iat"] = Now.ToUnixTimeSeconds(),
    };

    private DpopProofResult Validate(string proof, DpopProofExpectations? expected = null, DateTimeOffset? now = null) =>
        _validator.Validate([proof], expected ?? AtTokenEndpoint, now ?? Now);

    private DpopFailure FailureOf(string proof, DpopProofExpectations? expected = null) =>
        Validate(proof, expected).Failure;

    // --- valid proofs ---

    [Fact]
    public void AnEs256ProofPassesAndGivesTheKeysRfc7638Thumbprint()
    {
        var proof = Proof(claims: c => c["jti"] = "proof-1");
        var result = Validate(proof);

        Assert.True(result.IsValid, result.Description);
        Assert.Null(result.Description);
        Assert.Equal(Rfc7638Thumbprint(PublicJwk(EcKey)), result.Jkt);
        Assert.Equal("proof-1", result.Jti);
        Assert.Equal(Now, result.IssuedAt);
        Assert.Equal(TokenUri, result.Htu);
        Assert.Null(result.Nonce);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("PS256")]
    public void RsaProofsPass(string alg)
    {
        var result = Validate(Proof(signer: RsaKey, alg: alg));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(Rfc7638Thumbprint(PublicJwk(RsaKey)), result.Jkt);
    }

    [Fact]
    public void AnEs384ProofOnP384Passes()
    {
        var result = Validate(Proof(signer: Ec384Key, alg: "ES384"));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(Rfc7638Thumbprint(PublicJwk(Ec384Key)), result.Jkt);
    }

    [Fact]
    public void TheSameKeyGivesTheSameThumbprintAndAnotherKeyAnother()
    {
        var first = Validate(Proof());
        var second = Validate(Proof());
        var other = Validate(Proof(signer: OtherEcKey));
        Assert.Equal(first.Jkt, second.Jkt);
        Assert.NotEqual(first.Jkt, other.Jkt);
    }

    [Fact]
    public void TheThumbprintOfTheRfc7638ExampleKeyIsTheOneTheRfcGives()
    {
        // RFC 7638 §3.1: the RSA key of RFC 7517 appendix A.1.
        var key = new JsonWebKey
        {
            Kty = "RSA",
            N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            E = "AQAB",
            Alg = "RS256",
            Kid = "2011-04-29",
        };
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()));
    }

    // RFC 9449 figure 13 (§7.1): a proof made by another implementation, for a resource request.
    private const string RfcResourceProof =
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
        + ".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9"
        + ".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";

    private const string RfcAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

    // RFC 9449 §6.1: the thumbprint of the key in the RFC's example proofs.
    private const string RfcJkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    private static readonly DpopProofExpectations AtRfcResource =
        new("GET", ["https://resource.example.org/protectedresource"], RfcAccessToken, MaxAge, Skew);

    [Fact]
    public void TheRfc9449ExampleResourceProofPassesWithTheRfcsThumbprint()
    {
        var result = _validator.Validate([RfcResourceProof], AtRfcResource, DateTimeOffset.FromUnixTimeSeconds(1_562_262_618));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(RfcJkt, result.Jkt);
        Assert.Equal("e1j3V_bKic8-LAEB", result.Jti);
        Assert.Equal("https://resource.example.org/protectedresource", result.Htu);
    }

    [Fact]
    public void TheRfc9449ExampleTokenRequestProofPasses()
    {
        // RFC 9449 figure 2 (§4.1).
        const string proof =
            "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
            + ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ"
            + ".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
        var expected = new DpopProofExpectations("POST", ["https://server.example.com/token"], null, MaxAge, Skew);

        var result = _validator.Validate([proof], expected, DateTimeOffset.FromUnixTimeSeconds(1_562_262_616));

        Assert.True(result.IsValid, result.Description);
        Assert.Equal(RfcJkt, result.Jkt);
        Assert.Equal("-BwC3ESc6acc2lTc", result.Jti);
    }

    [Fact]
    public void TheRfc9449ExampleProofIsRefusedForAnotherAccessToken()
    {
        var result = _validator.Validate([RfcResourceProof], AtRfcResource with { AccessToken = "another-token" },
            DateTimeOffset.FromUnixTimeSeconds(1_562_262_618));
        Assert.Equal(DpopFailure.WrongAccessTokenHash, result.Failure);
    }

    [Fact]
    public void AKidThatMatchesNoKeyDoesNotStopTheEmbeddedKeyFromVerifying()
    {
        var signer = new ECDsaSecurityKey(EcKey.ECDsa) { KeyId = "a-kid-of-the-clients-own" };
        var proof = Proof(signer: signer);
        Assert.Equal("a-kid-of-the-clients-own", new JsonWebToken(proof).Kid);

        var result = Validate(proof);
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(Rfc7638Thumbprint(PublicJwk(EcKey)), result.Jkt);
    }

    [Fact]
    public void OptionalJwkMembersDoNotChangeTheThumbprint()
    {
        var plain = Validate(Proof());
        var decorated = Validate(Proof(header: h => ((Dictionary<string, object>)h["jwk"])["kid"] = "k1"));
        Assert.True(decorated.IsValid, decorated.Description);
        Assert.Equal(plain.Jkt, decorated.Jkt);
    }

    // --- the DPoP header field ---

    [Fact]
    public void NoHeaderIsMissing() =>
        Assert.Equal(DpopFailure.Missing, (_validator.Validate([], AtTokenEndpoint, Now)).Failure);

    [Fact]
    public void OnlyEmptyHeadersAreMissing() =>
        Assert.Equal(DpopFailure.Missing, (_validator.Validate(["", null, " "], AtTokenEndpoint, Now)).Failure);

    [Fact]
    public void TwoHeadersAreRefusedEvenWhenBothAreValid()
    {
        var result = _validator.Validate([Proof(), Proof()], AtTokenEndpoint, Now);
        Assert.Equal(DpopFailure.Multiple, result.Failure);
    }

    [Fact]
    public void TwoProofsJoinedIntoOneHeaderAreRefused() =>
        Assert.Equal(DpopFailure.Multiple, FailureOf(Proof() + ", " + Proof()));

    [Fact]
    public void AProofLongerThan8KiBIsMalformed()
    {
        var proof = Proof(claims: c => c["padding"] = new string('a', 8 * 1024));
        Assert.Equal(DpopFailure.Malformed, FailureOf(proof));
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("a.b.c.d.e")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln")]
    public void GarbageIsMalformed(string proof) =>
        Assert.Equal(DpopFailure.Malformed, FailureOf(proof));

    // --- header: typ, alg, jwk ---

    [Theory]
    [InlineData("JWT")]
    [InlineData("at+jwt")]
    public void AnotherTypIsRefused(string typ) =>
        Assert.Equal(DpopFailure.WrongType, FailureOf(Proof(header: h => h["typ"] = typ)));

    [Fact]
    public void AnUnsignedProofIsRefused()
    {
        var proof = Handmade(new Dictionary<string, object> { ["typ"] = "dpop+jwt", ["alg"] = "none", ["jwk"] = PublicJwk(EcKey) }, Claims());
        Assert.Equal(DpopFailure.UnsupportedAlgorithm, FailureOf(proof));
    }

    [Fact]
    public void AnHmacProofIsRefused()
    {
        var secret = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(DpopFailure.UnsupportedAlgorithm, FailureOf(Proof(signer: secret, alg: "HS256", embedded: EcKey)));
    }

    [Fact]
    public void AProofWithoutJwkIsRefused() =>
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(header: h => h.Remove("jwk"))));

    [Fact]
    public void AJwkThatIsNoObjectIsRefused() =>
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(header: h => h["jwk"] = "a-key")));

    [Theory]
    [InlineData("d")]
    [InlineData("p")]
    [InlineData("q")]
    [InlineData("dp")]
    [InlineData("dq")]
    [InlineData("qi")]
    [InlineData("oth")]
    [InlineData("k")]
    public void AJwkWithAPrivateMemberIsRefused(string member) =>
        Assert.Equal(DpopFailure.PrivateKey, FailureOf(Proof(header: h => ((Dictionary<string, object>)h["jwk"])[member] = "AQAB")));

    [Fact]
    public void AJwkHoldingTheSignersWholePrivateKeyIsRefused()
    {
        var full = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(EcKey);
        var jwk = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = full.Crv, ["x"] = full.X, ["y"] = full.Y, ["d"] = full.D };
        Assert.Equal(DpopFailure.PrivateKey, FailureOf(Proof(header: h => h["jwk"] = jwk)));
    }

    [Fact]
    public void ASymmetricJwkIsRefused()
    {
        var jwk = new Dictionary<string, object> { ["kty"] = "oct", ["k"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) };
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(header: h => h["jwk"] = jwk)));
    }

    [Fact]
    public void AnRsaAlgorithmWithAnEcKeyIsRefused() =>
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(signer: RsaKey, alg: "RS256", embedded: EcKey)));

    [Fact]
    public void AnEcAlgorithmWithAnRsaKeyIsRefused() =>
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(signer: EcKey, alg: "ES256", embedded: RsaKey)));

    [Fact]
    public void Es256WithAP384KeyIsRefused() =>
        Assert.Equal(DpopFailure.BadKey, FailureOf(Proof(signer: EcKey, alg: "ES256", embedded: Ec384Key)));

    [Fact]
    public void AnRsaKeyUnder2048BitsIsRefused()
    {
        using var weak = RSA.Create(1024);
        var parameters = weak.ExportParameters(false);
        var header = new Dictionary<string, object>
        {
            ["typ"] = "dpop+jwt",
            ["alg"] = "RS256",
            ["jwk"] = new Dictionary<string, object> { ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(parameters.Modulus!), ["e"] = Base64UrlEncoder.Encode(parameters.Exponent!) },
        };
        var proof = Handmade(header, Claims(), data => weak.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(DpopFailure.BadKey, FailureOf(proof));
    }

    // --- signature ---

    [Fact]
    public void AProofSignedByAnotherKeyThanItsJwkIsRefused() =>
        Assert.Equal(DpopFailure.BadSignature, FailureOf(Proof(signer: EcKey, embedded: OtherEcKey)));

    [Fact]
    public void ATamperedPayloadIsRefused()
    {
        var parts = Proof().Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"POST\"", "\"GET\"");
        var forged = parts[0] + "." + Base64UrlEncoder.Encode(payload) + "." + parts[2];
        Assert.Equal(DpopFailure.BadSignature, FailureOf(forged, AtTokenEndpoint with { Method = "GET" }));
    }

    [Fact]
    public void AnEmptySignatureIsRefused()
    {
        var parts = Proof().Split('.');
        Assert.Equal(DpopFailure.BadSignature, FailureOf(parts[0] + "." + parts[1] + "."));
    }

    [Fact]
    public void ACertificateBesideTheJwkCannotSubstituteItsKey()
    {
        // The jwk names one key, x5c a certificate of the key that really signed: only the jwk counts.
        using var signer = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=dpop-test", signer, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
        var jwk = PublicJwk(RsaKey);
        jwk["x5c"] = new List<object> { Convert.ToBase64String(certificate.RawData) };

        var proof = Proof(signer: new RsaSecurityKey(signer), alg: "RS256", header: h => h["jwk"] = jwk);
        Assert.Equal(DpopFailure.BadSignature, FailureOf(proof));
    }

    // --- claims ---

    [Theory]
    [InlineData("jti")]
    [InlineData("htm")]
    [InlineData("htu")]
    [InlineData("iat")]
    public void EachRequiredClaimIsRequired(string claim) =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c.Remove(claim))));

    [Fact]
    public void AnIatThatIsNoNumberIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["iat"] = Now.ToUnixTimeSeconds().ToString())));

    [Fact]
    public void AnHtmThatIsNoStringIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["htm"] = 1)));

    [Fact]
    public void ANullJtiIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["jti"] = null!)));

    [Fact]
    public void AnEmptyJtiIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["jti"] = "")));

    [Fact]
    public void AJtiOver256CharactersIsRefusedButOneOf256Passes()
    {
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["jti"] = new string('j', 257))));
        Assert.Equal(DpopFailure.None, FailureOf(Proof(claims: c => c["jti"] = new string('j', 256))));
    }

    [Fact]
    public void ANonceThatIsNoStringIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["nonce"] = 42)));

    [Fact]
    public void TheNonceIsReturnedForTheCallerToCheck()
    {
        var result = Validate(Proof(claims: c => c["nonce"] = "server-nonce-1"));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal("server-nonce-1", result.Nonce);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("post")]
    public void AnotherMethodIsRefused(string htm) =>
        Assert.Equal(DpopFailure.WrongMethod, FailureOf(Proof(claims: c => c["htm"] = htm)));

    [Theory]
    [InlineData("https://id.example.com/oauth/revoke")]
    [InlineData("http://id.example.com/oauth/token")]
    [InlineData("https://id.example.com:8443/oauth/token")]
    [InlineData("https://other.example.com/oauth/token")]
    [InlineData("https://id.example.com/OAUTH/token")]
    [InlineData("/oauth/token")]
    [InlineData("not a uri")]
    public void AnotherUriIsRefused(string htu) =>
        Assert.Equal(DpopFailure.WrongUri, FailureOf(Proof(claims: c => c["htu"] = htu)));

    [Theory]
    [InlineData("https://id.example.com/oauth/token?client_id=abc")]
    [InlineData("https://id.example.com/oauth/token#fragment")]
    [InlineData("https://id.example.com/oauth/token?a=1#b")]
    [InlineData("HTTPS://ID.Example.COM/oauth/token")]
    [InlineData("https://id.example.com:443/oauth/token")]
    public void QueryFragmentHostCaseAndDefaultPortDoNotMatter(string htu)
    {
        var result = Validate(Proof(claims: c => c["htu"] = htu));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(TokenUri, result.Htu);
    }

    [Fact]
    public void AnyOfTheAcceptedUrisPasses()
    {
        var expected = AtTokenEndpoint with { Uris = ["https://id.example.com/oauth_token.do", TokenUri] };
        Assert.True((Validate(Proof(claims: c => c["htu"] = "https://id.example.com/oauth_token.do"), expected)).IsValid);
    }

    [Fact]
    public void AProofAsOldAsMaxAgePlusSkewPassesAndOneSecondOlderIsStale()
    {
        var limit = Now - MaxAge - Skew;
        Assert.Equal(DpopFailure.None, FailureOf(Proof(claims: c => c["iat"] = limit.ToUnixTimeSeconds())));
        Assert.Equal(DpopFailure.Stale, FailureOf(Proof(claims: c => c["iat"] = limit.ToUnixTimeSeconds() - 1)));
    }

    [Fact]
    public void AProofWithinTheSkewAheadPassesAndBeyondIsFromTheFuture()
    {
        Assert.Equal(DpopFailure.None, FailureOf(Proof(claims: c => c["iat"] = (Now + Skew).ToUnixTimeSeconds())));
        Assert.Equal(DpopFailure.FromTheFuture, FailureOf(Proof(claims: c => c["iat"] = (Now + Skew).ToUnixTimeSeconds() + 1)));
    }

    [Fact]
    public void AFractionalIatIsRead()
    {
        var result = Validate(Proof(claims: c => c["iat"] = Now.ToUnixTimeSeconds() + 0.5));
        Assert.True(result.IsValid, result.Description);
        Assert.Equal(Now, result.IssuedAt);
    }

    [Fact]
    public void AnIatBeyondAnyDateIsRefused() =>
        Assert.Equal(DpopFailure.MissingClaims, FailureOf(Proof(claims: c => c["iat"] = 1_000_000_000_000_000L)));

    // --- ath ---

    private static readonly DpopProofExpectations AtResource =
        new("GET", ["https://api.example.com/incidents"], "the-access-token", MaxAge, Skew);

    private static string ResourceProof(Action<Dictionary<string, object>>? claims = null) => Proof(claims: c =>
    {
        c["htm"] = "GET";
        c["htu"] = "https://api.example.com/incidents";
        claims?.Invoke(c);
    });

    [Fact]
    public void AProofWithTheAccessTokensHashPasses()
    {
        var result = Validate(ResourceProof(c => c["ath"] = DpopProtocol.AccessTokenHash("the-access-token")), AtResource);
        Assert.True(result.IsValid, result.Description);
    }

    [Fact]
    public void AProofWithAnotherTokensHashIsRefused() =>
        Assert.Equal(DpopFailure.WrongAccessTokenHash,
            FailureOf(ResourceProof(c => c["ath"] = DpopProtocol.AccessTokenHash("another-access-token")), AtResource));

    [Fact]
    public void AProofWithoutAthIsRefusedWhenATokenIsSent() =>
        Assert.Equal(DpopFailure.WrongAccessTokenHash, FailureOf(ResourceProof(), AtResource));

    [Fact]
    public void AthIsIgnoredWhenNoTokenIsSent() =>
        Assert.Equal(DpopFailure.None, FailureOf(Proof(claims: c => c["ath"] = "whatever")));

    // --- descriptions ---

    [Fact]
    public void EveryFailureHasItsOwnDescriptionFitForAQuotedString()
    {
        var descriptions = Enum.GetValues<DpopFailure>().Where(f => f != DpopFailure.None).Select(f => DpopProofResult.Describe(f) ?? "").ToArray();
        Assert.All(descriptions, description =>
        {
            Assert.False(string.IsNullOrWhiteSpace(description));
            Assert.DoesNotContain("\"", description);
            Assert.DoesNotContain("\\", description);
        });
        Assert.Equal(descriptions.Length, descriptions.Distinct(StringComparer.Ordinal).Count());
        Assert.Null(DpopProofResult.Describe(DpopFailure.None));
    }

    [Fact]
    public void AFailureCarriesItsDescription()
    {
        var result = Validate(Proof(claims: c => c["htm"] = "GET"));
        Assert.False(result.IsValid);
        Assert.Equal(DpopProofResult.Describe(DpopFailure.WrongMethod), result.Description);
        Assert.Null(result.Jkt);
    }

    [Theory]
    [InlineData("{\"typ\":\"\\ud800\",\"alg\":\"ES256\"}")]
    [InlineData("{\"typ\":\"dpop+jwt\",\"alg\":\"\\udfff\"}")]
    public void JsonWithALoneSurrogateIsMalformedNeverAnException(string header)
    {
        var proof = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(header)) + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(Claims())) + ".c2ln";
        Assert.Equal(DpopFailure.Malformed, FailureOf(proof));
    }

    [Fact]
    public void AClaimWithALoneSurrogateIsRefusedNeverAnException()
    {
        var payload = "{\"jti\":\"\\ud800\",\"htm\":\"POST\",\"htu\":\"" + TokenUri + "\",\"iat\":" + Now.ToUnixTimeSeconds() + "}";
        var header = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk(EcKey) }));
        var input = header + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload));
        var signature = Base64UrlEncoder.Encode(EcKey.ECDsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
        Assert.NotEqual(DpopFailure.None, FailureOf(input + "." + signature));
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AQABA")]
    public void AnRsaKeyMemberThatIsNoBase64IsABadKeyNeverAnException(string exponent)
    {
        var jwk = PublicJwk(RsaKey);
        jwk["e"] = exponent;
        var proof = Handmade(new Dictionary<string, object> { ["typ"] = "dpop+jwt", ["alg"] = "RS256", ["jwk"] = jwk }, Claims(), _ => new byte[256]);
        Assert.Equal(DpopFailure.BadKey, FailureOf(proof));
    }

    [Fact]
    public void AProofMarkingAnExtensionCriticalIsRefused()
    {
        var proof = Handmade(new Dictionary<string, object> { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk(EcKey), ["crit"] = new[] { "exp" } },
            Claims(), input => EcKey.ECDsa.SignData(input, HashAlgorithmName.SHA256));
        Assert.Equal(DpopFailure.Malformed, FailureOf(proof));
    }
}
