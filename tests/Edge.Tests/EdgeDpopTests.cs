using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Dpop;

namespace OAuthAspire.Edge.Tests;

/// <summary>
/// The edge's proof-of-possession check for <c>/api/**</c> (RFC 9449 §7): which scheme a bound or
/// unbound token must come with, the replica's own nonces, one use per proof, the key of the binding.
/// </summary>
public class EdgeDpopTests
{
    private const string Issuer = "https://id.example.com";
    private const string Path = "/api/now/table/incident";
    private const string Token = "eyJ.access.token";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly EdgeDpop _edge = NewEdge();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static EdgeDpop NewEdge() => new(Protocol.Issuer.Create(Issuer, false), Options.Create(new DpopOptions()),
        new ConfigurationBuilder().Build(), TimeProvider.System);

    private Dictionary<string, object> PublicJwk()
    {
        var q = _key.ExportParameters(false).Q;
        return new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(q.X), ["y"] = Base64UrlEncoder.Encode(q.Y) };
    }

    private string Jkt => Base64UrlEncoder.Encode(new JsonWebKey { Kty = "EC", Crv = "P-256", X = (string)PublicJwk()["x"], Y = (string)PublicJwk()["y"] }
        .ComputeJwkThumbprint());

    private string Proof(string? nonce, string url = Issuer + Path, ECDsa? signer = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "GET", ["htu"] = url, ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["ath"] = DpopProtocol.AccessTokenHash(Token),
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = DpopProtocol.ProofType,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signer ?? _key), SecurityAlgorithms.EcdsaSha256),
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = PublicJwk() },
        });
    }

    private static DefaultHttpContext Call(string? proof)
    {
        var context = Http.Context(HttpMethods.Get, Path);
        if (proof is not null)
        {
            context.Request.Headers[DpopProtocol.ProofHeader] = proof;
        }

        return context;
    }

    private ProofRefusal? Check(EdgeDpop edge, DefaultHttpContext context, bool dpopScheme = true, string? jkt = "") =>
        edge.Check(context, Token, jkt == "" ? Jkt : jkt, dpopScheme, Path, Path);

    [Fact]
    public void ABoundTokenSentAsBearerIsRefusedAnUnboundOneGoesOn()
    {
        var refusal = Check(_edge, Call(null), dpopScheme: false);
        Assert.NotNull(refusal);
        Assert.Equal(StatusCodes.Status401Unauthorized, refusal.Status);
        Assert.StartsWith("DPoP error=\"invalid_token\"", refusal.Challenge);

        Assert.Null(Check(_edge, Call(null), dpopScheme: false, jkt: null));
    }

    [Fact]
    public void AnUnboundTokenSentWithTheDpopSchemeIsRefused() =>
        Assert.Equal("invalid_token", Check(_edge, Call(Proof(null)), jkt: null)?.Error);

    [Fact]
    public void AProofWithoutThisReplicasNonceIsAskedForOneAndWithItPassesOnce()
    {
        var asked = Call(Proof(null));
        var refusal = Check(_edge, asked);
        Assert.Equal("use_dpop_nonce", refusal?.Error);
        var nonce = asked.Response.Headers[DpopProtocol.NonceHeader].ToString();
        Assert.False(string.IsNullOrEmpty(nonce));

        var proof = Proof(nonce);
        var passed = Call(proof);
        Assert.Null(Check(_edge, passed));
        Assert.Equal(nonce, passed.Response.Headers[DpopProtocol.NonceHeader].ToString());

        var replay = Check(_edge, Call(proof));
        Assert.Equal("invalid_dpop_proof", replay?.Error);
        Assert.Contains("used before", replay!.Description);
    }

    [Fact]
    public void AnotherReplicasNonceIsNoNonceHere()
    {
        var other = NewEdge();
        var nonce = other.Nonces.Issue();
        Assert.Equal("use_dpop_nonce", Check(_edge, Call(Proof(nonce)))?.Error);
        Assert.Null(Check(other, Call(Proof(nonce))));
    }

    [Fact]
    public void AProofByAnotherKeyThanTheBindingsIsRefused()
    {
        var thief = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var nonce = _edge.Nonces.Issue();
        // Signed by the thief's key while naming the victim's: the signature fails.
        Assert.Equal("invalid_dpop_proof", Check(_edge, Call(Proof(nonce, signer: thief)))?.Error);
        // A good proof of the thief's own key: not the key the token is bound to.
        Assert.Equal("invalid_dpop_proof", Check(_edge, Call(Proof(nonce)), jkt: "another-keys-thumbprint-aaaaaaaaaaaaaaaaaaaa")?.Error);
    }

    [Fact]
    public void TheProofMayNameThePathAsSentOrAsReadButNoOtherPath()
    {
        var nonce = _edge.Nonces.Issue();
        var raw = "/api/now/table/%69ncident";
        Assert.Null(_edge.Check(Call(Proof(nonce, Issuer + raw)), Token, Jkt, true, raw, Path));
        Assert.Null(_edge.Check(Call(Proof(nonce, Issuer + Path)), Token, Jkt, true, raw, Path));
        Assert.Equal("invalid_dpop_proof", _edge.Check(Call(Proof(nonce, Issuer + "/api/now/table/problem")), Token, Jkt, true, raw, Path)?.Error);
        Assert.Equal("invalid_dpop_proof", _edge.Check(Call(Proof(nonce, "https://elsewhere.example.com" + Path)), Token, Jkt, true, raw, Path)?.Error);
    }
}
