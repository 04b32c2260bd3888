using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// The admin API's OAuth application (camelCase JSON). <c>clientSecret</c> appears only in the
/// answer to a create or a rotation, the one time the secret is ever shown; it is ignored on input.
/// </summary>
public sealed record ClientDto(
    string? Name, string? ClientId, bool? Public, bool? PkceRequired, string[]? RedirectUris, string[]? PostLogoutRedirectUris,
    string[]? GrantTypes, string[]? Scopes, string[]? DefaultScopes, int? AccessTokenLifespan, int? RefreshTokenLifespan,
    string? ApplicationUser, bool? CanIntrospect, string? LogoUrl, bool? Active, string? ClientSecret = null)
{
    /// <summary>Keys and rules for the JWT bearer grant and private_key_jwt; <c>sharedKey</c> is write-only.</summary>
    public VerifierSettings? JwtVerifier { get; init; }

    /// <summary>Trusted identity providers whose tokens this client may exchange (token exchange).</summary>
    public string[]? Trusts { get; init; }

    /// <summary>
    /// Browser origins (<c>https://host[:port]</c>) whose pages may call the token, userinfo, revocation,
    /// discovery, JWKS and end-session endpoints (CORS). Omitted: the origins of the redirect URIs,
    /// recomputed on every write that omits it; empty: none.
    /// </summary>
    public string[]? AllowedOrigins { get; init; }

    /// <summary>RFC 9449 §5.2: every access token of this client is DPoP-bound; a token request without a proof is refused.</summary>
    public bool? DpopBoundAccessTokens { get; init; }

    /// <summary>RFC 9449 §8: the token endpoint asks this client for a server nonce in every DPoP proof.</summary>
    public bool? DpopNonceRequired { get; init; }
}
