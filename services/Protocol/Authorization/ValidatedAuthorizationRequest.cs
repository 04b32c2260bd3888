namespace OAuthAspire.Protocol.Authorization;

/// <summary>A request that passed every protocol rule (scopes are decided afterwards, by scope-policy).</summary>
public sealed record ValidatedAuthorizationRequest
{
    public required string ClientId { get; init; }
    public required string ResponseType { get; init; }
    public required string RedirectUri { get; init; }
    /// <summary>Whether the request named the redirect URI (then the token request must repeat it, RFC 6749 §4.1.3).</summary>
    public required bool RedirectUriSent { get; init; }
    public required string ResponseMode { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public string? State { get; init; }
    public string? CodeChallenge { get; init; }
    public string? CodeChallengeMethod { get; init; }
    public IReadOnlySet<string> Prompt { get; init; } = new HashSet<string>();
    public int? MaxAge { get; init; }
    public string? Nonce { get; init; }
    public string? LoginHint { get; init; }
    public string? IdTokenHint { get; init; }
    /// <summary>RFC 9449 §10: the DPoP key (JWK SHA-256 thumbprint) the code must be redeemed with.</summary>
    public string? DpopJkt { get; init; }
    /// <summary>RFC 8707 §2.1: the APIs the grant is for; each token then names one of them.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];
}
