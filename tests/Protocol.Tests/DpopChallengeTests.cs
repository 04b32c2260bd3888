using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9449 §7.1: the WWW-Authenticate values of the DPoP scheme, each naming the algorithms.</summary>
public class DpopChallengeTests
{
    [Fact]
    public void ARequestWithoutCredentialsGetsTheSchemeAndAlgorithms() =>
        Assert.Equal("DPoP algs=\"ES256 ES384 PS256 RS256\"", DpopChallenge.Missing);

    [Fact]
    public void AMalformedHeaderIsAnInvalidRequest() =>
        Assert.Equal("DPoP error=\"invalid_request\", algs=\"ES256 ES384 PS256 RS256\"", DpopChallenge.InvalidRequest);

    [Fact]
    public void AnInvalidTokenSaysWhy() =>
        Assert.Equal("DPoP error=\"invalid_token\", error_description=\"The access token expired.\", algs=\"ES256 ES384 PS256 RS256\"",
            DpopChallenge.InvalidToken("The access token expired."));

    [Fact]
    public void AnInvalidProofSaysWhy() =>
        Assert.Equal("DPoP error=\"invalid_dpop_proof\", error_description=\"The DPoP proof is too old.\", algs=\"ES256 ES384 PS256 RS256\"",
            DpopChallenge.InvalidProof("The DPoP proof is too old."));

    [Fact]
    public void AMissingNonceAsksForOne() =>
        Assert.Equal("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\", algs=\"ES256 ES384 PS256 RS256\"",
            DpopChallenge.UseNonce("Resource server requires nonce in DPoP proof"));

    [Fact]
    public void InsufficientScopeNamesTheScopesThatWouldPass() =>
        Assert.Equal("DPoP error=\"insufficient_scope\", scope=\"incident.read incident.write\", algs=\"ES256 ES384 PS256 RS256\"",
            DpopChallenge.FromBearer(Requests.BearerChallenge.InsufficientScope(["incident.read", "incident.write"])));

    [Fact]
    public void InsufficientScopeWithNoScopeThatWouldPassNamesNone() =>
        Assert.Equal("DPoP error=\"insufficient_scope\", algs=\"ES256 ES384 PS256 RS256\"", DpopChallenge.FromBearer(Requests.BearerChallenge.InsufficientScope([])));

    [Fact]
    public void TheBareBearerChallengeBecomesTheBareDpopOne() =>
        Assert.Equal(DpopChallenge.Missing, DpopChallenge.FromBearer(Requests.BearerChallenge.Missing));

    [Fact]
    public void TheErrorCodesAndTheirStatusAreRfc9449s()
    {
        var invalid = ProtocolError.InvalidDpopProof("The DPoP proof is too old.");
        Assert.Equal("invalid_dpop_proof", invalid.Error);
        Assert.Equal(400, invalid.StatusCode);
        Assert.Equal("The DPoP proof is too old.", invalid.ToBody().Description);

        var nonce = ProtocolError.UseDpopNonce("Authorization server requires nonce in DPoP proof");
        Assert.Equal("use_dpop_nonce", nonce.Error);
        Assert.Equal(400, nonce.StatusCode);
    }
}
