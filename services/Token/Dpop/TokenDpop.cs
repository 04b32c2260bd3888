using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Mtls;

namespace OAuthAspire.Token.Dpop;

/// <summary>What the DPoP check of a token request found: the key to bind to, none, or a refusal.</summary>
/// <param name="Alg">The proof's algorithm (a FAPI 2.0 client's must be PS256 or ES256).</param>
public readonly record struct DpopBinding(string? Jkt, ProtocolError? Error, string? Reason, string? Alg = null)
{
    public static readonly DpopBinding Unbound = default;
}

/// <summary>
/// The token endpoint's DPoP check (RFC 9449 §5): a proof for <c>POST</c> on this issuer's token
/// endpoint (never the Host the service sees behind the edge), used once across every replica (its
/// id is recorded in PostgreSQL until the proof is too old to pass), with a server nonce when this
/// client or the whole server asks for one (§8). Nonces are derived from the key-encryption key, so
/// every token replica accepts every replica's nonce without storing any.
/// </summary>
public sealed class TokenDpop(Issuer issuer, IOptions<DpopOptions> options, JtiStore jtis, IConfiguration configuration, TimeProvider time,
    MtlsListener listener)
{
    /// <summary>The used_jti owner for proof ids: no client id is empty, so none shares their namespace.</summary>
    private const string ReplayOwner = "";

    private readonly DpopProofValidator _validator = new();
    // The issuer's endpoints and, for a client on the mutual-TLS listener, their aliases there (RFC 8705 §5).
    private readonly string[] _uris = Normalized(issuer.Url(MetadataBuilder.Paths.Token), issuer.Url(MetadataBuilder.Paths.TokenAlias), listener.Aliases?.TokenEndpoint,
        listener.Aliases?.Origin is { } origin ? origin + MetadataBuilder.Paths.TokenAlias : null);
    private readonly string[] _pushUris = Normalized(issuer.Url(MetadataBuilder.Paths.PushedAuthorization),
        listener.Aliases?.Origin is { } mtlsOrigin ? mtlsOrigin + MetadataBuilder.Paths.PushedAuthorization : null);
    private readonly string[] _userInfoUris = Normalized(issuer.Url(MetadataBuilder.Paths.UserInfo), listener.Aliases?.UserinfoEndpoint);

    private static string[] Normalized(params string?[] uris) => [.. uris.Select(DpopProtocol.NormalizeUri).OfType<string>()];

    public DpopNonces Nonces { get; } = new(DpopNonces.DeriveKey(configuration["Keys:EncryptionKey"] ?? "", "oauthaspire dpop nonce v1"),
        options.Value.NonceLifetime, time);

    /// <param name="push">
    /// The pushed authorization endpoint's check (§10.1): a proof there pins the key the code must be
    /// redeemed with, and none is needed even from a client whose tokens must be bound.
    /// </param>
    public async Task<DpopBinding> CheckAsync(HttpContext http, RegisteredClient client, bool push = false)
    {
        var settings = options.Value;
        var nonceRequired = settings.RequireNonce || client.DpopNonceRequired;
        if (nonceRequired)
        {
            // Every answer carries the nonce to use next (§8.2), errors included.
            http.Response.Headers[DpopProtocol.NonceHeader] = Nonces.Issue();
        }

        var headers = http.Request.Headers[DpopProtocol.ProofHeader];
        if (headers.Count == 0)
        {
            return client.DpopBoundAccessTokens && !push
                ? Refuse(ProtocolError.InvalidDpopProof("This client's access tokens must be DPoP-bound: send a DPoP proof."),
                    "no DPoP proof from a client registered with dpop_bound_access_tokens")
                : DpopBinding.Unbound;
        }

        var now = time.GetUtcNow();
        var proof = _validator.Validate(headers.ToArray(), settings.Expect(HttpMethods.Post, push ? _pushUris : _uris), now);
        if (!proof.IsValid)
        {
            return Refuse(ProtocolError.InvalidDpopProof(proof.Description!), $"DPoP proof refused: {proof.Failure}");
        }

        if (nonceRequired && !Nonces.IsValid(proof.Nonce))
        {
            return Refuse(ProtocolError.UseDpopNonce("Authorization server requires nonce in DPoP proof."),
                proof.Nonce is null ? "DPoP proof without the required nonce" : "DPoP proof with a stale or unknown nonce");
        }

        if (!await TryUseAsync(proof, http.RequestAborted))
        {
            return Refuse(ProtocolError.InvalidDpopProof("The DPoP proof was used before."), "DPoP proof replayed");
        }

        // FAPI 2.0 §5.4: a fapi2 client's proofs are PS256 or ES256 too.
        if (client.Fapi2 && !SigningAlgorithms.Fapi.Contains(proof.Alg!))
        {
            return Refuse(ProtocolError.InvalidDpopProof("This client's DPoP proofs must be signed with PS256 or ES256 (FAPI 2.0)."),
                $"fapi2 client's DPoP proof signed with {proof.Alg}");
        }

        return new DpopBinding(proof.Jkt, null, null, proof.Alg);
    }

    /// <summary>
    /// The userinfo endpoint as a resource server (RFC 9449 §7): a bound token only with the DPoP
    /// scheme and a proof by its key for this method and URL with the token's hash; an unbound
    /// token only as Bearer. Replays are caught in PostgreSQL, as at the token endpoint.
    /// </summary>
    /// <returns>The <c>WWW-Authenticate</c> challenge of a refusal (401); null when the call may go on.</returns>
    /// <param name="fapi2">The token's client is held to FAPI 2.0: PS256 or ES256 proofs only (§5.4).</param>
    public async Task<string?> CheckResourceAsync(HttpContext http, string token, string? jkt, bool dpopScheme, bool fapi2 = false)
    {
        if (DpopResource.WrongScheme(dpopScheme, jkt) is { } wrongScheme)
        {
            return DpopChallenge.InvalidToken(wrongScheme);
        }

        if (jkt is null)
        {
            return null;
        }

        var settings = options.Value;
        var proof = _validator.Validate(http.Request.Headers[DpopProtocol.ProofHeader].ToArray(),
            settings.Expect(http.Request.Method, _userInfoUris, token), time.GetUtcNow());
        if (DpopResource.Unproven(proof, jkt) is { } unproven)
        {
            return DpopChallenge.InvalidProof(unproven);
        }

        if (fapi2 && !SigningAlgorithms.Fapi.Contains(proof.Alg!))
        {
            return DpopChallenge.InvalidProof("This client's DPoP proofs must be signed with PS256 or ES256 (FAPI 2.0).");
        }

        return await TryUseAsync(proof, http.RequestAborted) ? null : DpopChallenge.InvalidProof("The DPoP proof was used before.");
    }

    /// <summary>One use per key and proof id; remembered until the proof would be refused as stale anyway.</summary>
    private Task<bool> TryUseAsync(DpopProofResult proof, CancellationToken cancellationToken)
    {
        var id = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(proof.Jkt + " " + proof.Jti)));
        var settings = options.Value;
        return jtis.TryUseAsync(ReplayOwner, id, proof.IssuedAt + settings.ProofLifetime + settings.ClockSkew * 2, cancellationToken).AsTask();
    }

    private static DpopBinding Refuse(ProtocolError error, string reason) => new(null, error, reason);
}
