namespace OAuthAspire.Protocol.Dpop;

/// <summary>
/// The rules every resource server applies to a token and its proof (RFC 9449 §7), written once for
/// the edge and userinfo; what differs between them is where they remember proofs and whether they ask nonces.
/// </summary>
public static class DpopResource
{
    /// <summary>Why the token came with the wrong scheme for its binding (invalid_token, §7.2), or null when the scheme fits.</summary>
    /// <param name="jkt">The key the token is bound to; null for an unbound token.</param>
    public static string? WrongScheme(bool dpopScheme, string? jkt) => (dpopScheme, jkt) switch
    {
        (false, not null) => "The access token is DPoP-bound: send it with the DPoP scheme and a proof.",
        (true, null) => "The access token is not DPoP-bound: send it with the Bearer scheme.",
        _ => null,
    };

    /// <summary>Why the proof does not prove possession of the token's key (invalid_dpop_proof), or null when it does.</summary>
    public static string? Unproven(DpopProofResult proof, string jkt) =>
        !proof.IsValid ? proof.Description
        : proof.Jkt != jkt ? "The DPoP proof is not signed by the key the access token is bound to."
        : null;
}
