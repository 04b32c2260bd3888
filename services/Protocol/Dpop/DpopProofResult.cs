namespace OAuthAspire.Protocol.Dpop;

/// <summary>Why a DPoP proof was not accepted (RFC 9449 §4.3, in the order checked).</summary>
public enum DpopFailure
{
    None,
    /// <summary>No DPoP header, or only empty ones.</summary>
    Missing,
    /// <summary>More than one DPoP header, or one joined from several (§4.3 check 1).</summary>
    Multiple,
    /// <summary>Too long, or not a compact JWS with JSON header and payload.</summary>
    Malformed,
    /// <summary><c>typ</c> is not <c>dpop+jwt</c>.</summary>
    WrongType,
    /// <summary><c>alg</c> is not one of <see cref="DpopProtocol.Algorithms"/> (so never <c>none</c> or HMAC).</summary>
    UnsupportedAlgorithm,
    /// <summary><c>jwk</c> missing, not an EC or RSA public key, too weak, or unfit for <c>alg</c>.</summary>
    BadKey,
    /// <summary><c>jwk</c> carries private key members.</summary>
    PrivateKey,
    /// <summary>The signature does not verify with the proof's own <c>jwk</c>.</summary>
    BadSignature,
    /// <summary><c>jti</c>, <c>htm</c>, <c>htu</c> or <c>iat</c> missing or of the wrong type.</summary>
    MissingClaims,
    WrongMethod,
    WrongUri,
    /// <summary><c>iat</c> older than the accepted age.</summary>
    Stale,
    /// <summary><c>iat</c> later than now plus the clock skew.</summary>
    FromTheFuture,
    /// <summary><c>ath</c> missing or not the hash of the access token sent.</summary>
    WrongAccessTokenHash,
}

/// <summary>
/// The outcome of checking a DPoP proof. When valid: the key's RFC 7638 thumbprint, and what the
/// caller still has to check with state it holds — the <c>jti</c> for one-time use, the <c>nonce</c>.
/// </summary>
/// <param name="Description">Fixed text for <c>error_description</c>: never anything the client sent, never a quote.</param>
/// <param name="Htu">The proof's <c>htu</c> in <see cref="DpopProtocol.NormalizeUri"/> form.</param>
public sealed record DpopProofResult(
    DpopFailure Failure,
    string? Description,
    string? Jkt = null,
    string? Jti = null,
    DateTimeOffset IssuedAt = default,
    string? Nonce = null,
    string? Htu = null,
    string? Alg = null)
{
    public bool IsValid => Failure == DpopFailure.None;

    public static DpopProofResult Fail(DpopFailure failure) => new(failure, Describe(failure));

    /// <summary>The error_description for a failure; null for <see cref="DpopFailure.None"/>.</summary>
    public static string? Describe(DpopFailure failure) => failure switch
    {
        DpopFailure.None => null,
        DpopFailure.Missing => "The request has no DPoP proof.",
        DpopFailure.Multiple => "The request has more than one DPoP proof.",
        DpopFailure.Malformed => "The DPoP proof is not a well-formed JWT.",
        DpopFailure.WrongType => "The DPoP proof is not of type dpop+jwt.",
        DpopFailure.UnsupportedAlgorithm => "The DPoP proof is signed with an unsupported algorithm.",
        DpopFailure.BadKey => "The DPoP proof has no usable public key for its algorithm.",
        DpopFailure.PrivateKey => "The DPoP proof discloses a private key.",
        DpopFailure.BadSignature => "The DPoP proof signature is invalid.",
        DpopFailure.MissingClaims => "The DPoP proof lacks a required claim or a claim has the wrong type.",
        DpopFailure.WrongMethod => "The DPoP proof is for another HTTP method.",
        DpopFailure.WrongUri => "The DPoP proof is for another URI.",
        DpopFailure.Stale => "The DPoP proof is too old.",
        DpopFailure.FromTheFuture => "The DPoP proof is issued in the future.",
        DpopFailure.WrongAccessTokenHash => "The DPoP proof is not bound to this access token.",
        _ => "The DPoP proof is invalid.",
    };
}
