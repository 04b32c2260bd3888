using Microsoft.Extensions.Options;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Protocol.Errors;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Proof of possession for <c>/api/**</c> (RFC 9449 §7): a DPoP-bound token only with the DPoP
/// scheme and a fresh proof by its key for this method, URL and token (<c>ath</c>); an unbound
/// token only as Bearer. Replays are caught without a database or a shared cache: every proof must
/// carry a nonce this replica issued (its key is random and never leaves it), and each replica
/// remembers the proof ids it accepted while their nonce and age let them pass. A proof replayed on
/// another replica carries a nonce that replica never issued, so it is refused there with
/// <c>use_dpop_nonce</c>; a client on a kept-alive connection pays the nonce round trip once.
/// </summary>
public sealed class EdgeDpop
{
    private readonly DpopProofValidator _validator = new();
    private readonly DpopOptions _options;
    private readonly TimeProvider _time;
    private readonly string[] _origins;

    public EdgeDpop(Issuer issuer, IOptions<DpopOptions> options, IConfiguration configuration, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var uri = new Uri(issuer.Value);
        // A proof may name the issuer's origin, the APIs' own host, or the mutual-TLS listener it was sent to.
        _origins = new[]
        {
            uri.GetLeftPart(UriPartial.Authority),
            configuration["Edge:ApiHost"] is { Length: > 0 } host ? $"{uri.Scheme}://{host}" : null,
            MtlsEndpointAliases.ForOrigin(configuration[MtlsEndpointAliases.BaseUrlKey])?.Origin,
        }.OfType<string>().ToArray();
        Nonces = new DpopNonces(DpopNonces.NewKey(), _options.NonceLifetime, time);
        // A proof is refused as stale once its iat is older than its lifetime and the skew, whatever
        // its nonce: its id need not be kept longer than that.
        Replays = new DpopReplayCache(_options.ProofLifetime + _options.ClockSkew * 2);
    }

    public DpopNonces Nonces { get; }

    private DpopReplayCache Replays { get; }

    /// <param name="dpopScheme">The token came with the DPoP authorization scheme (else Bearer).</param>
    /// <param name="jkt">The key the token is bound to (<c>cnf.jkt</c>); null for an unbound token.</param>
    /// <param name="rawPath">The path as sent; <paramref name="path"/> as the edge reads it. A proof may name either.</param>
    /// <returns>Null when the call may go on.</returns>
    /// <param name="fapi2">The token's client is held to FAPI 2.0: its proofs are PS256 or ES256 only (§5.4).</param>
    public ProofRefusal? Check(HttpContext context, string token, string? jkt, bool dpopScheme, string rawPath, string path, bool fapi2 = false)
    {
        if (DpopResource.WrongScheme(dpopScheme, jkt) is { } wrongScheme)
        {
            return InvalidToken(wrongScheme);
        }

        if (jkt is null)
        {
            return null;
        }

        // Every answer to a DPoP caller carries the nonce to use next (§8.2, §9).
        context.Response.Headers[DpopProtocol.NonceHeader] = Nonces.Issue();
        var proof = _validator.Validate(context.Request.Headers[DpopProtocol.ProofHeader].ToArray(),
            _options.Expect(context.Request.Method, Uris(rawPath, path), token), _time.GetUtcNow());
        if (DpopResource.Unproven(proof, jkt) is { } unproven)
        {
            return InvalidProof(unproven);
        }

        if (fapi2 && !SigningAlgorithms.Fapi.Contains(proof.Alg!))
        {
            return InvalidProof("This client's DPoP proofs must be signed with PS256 or ES256 (FAPI 2.0).");
        }

        if (!Nonces.IsValid(proof.Nonce))
        {
            const string description = "Resource server requires nonce in DPoP proof.";
            return new ProofRefusal(StatusCodes.Status401Unauthorized, DpopChallenge.UseNonce(description), OAuthErrorCodes.UseDpopNonce, description);
        }

        return Replays.TryUse($"{proof.Jkt} {proof.Jti} {proof.Htu}", _time.GetUtcNow()) switch
        {
            DpopReplayOutcome.Fresh => null,
            DpopReplayOutcome.Replayed => InvalidProof("The DPoP proof was used before."),
            // Never forget an id early: past the memory's bound, refuse until ids age out.
            _ => new ProofRefusal(StatusCodes.Status503ServiceUnavailable, DpopChallenge.Missing, OAuthErrorCodes.TemporarilyUnavailable,
                "Too many DPoP proofs right now; try again shortly."),
        };
    }

    private string[] Uris(string rawPath, string path)
    {
        var uris = new List<string>(_origins.Length * 2);
        foreach (var origin in _origins)
        {
            foreach (var p in rawPath == path ? [path] : new[] { rawPath, path })
            {
                if (DpopProtocol.NormalizeUri(origin + p) is { } uri)
                {
                    uris.Add(uri);
                }
            }
        }

        return [.. uris];
    }

    private static ProofRefusal InvalidToken(string description) =>
        new(StatusCodes.Status401Unauthorized, DpopChallenge.InvalidToken(description), OAuthErrorCodes.InvalidToken, description);

    private static ProofRefusal InvalidProof(string description) =>
        new(StatusCodes.Status401Unauthorized, DpopChallenge.InvalidProof(description), OAuthErrorCodes.InvalidDpopProof, description);
}
