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

    /// <summary>
    /// <c>tls_client_auth</c> (RFC 8705 §2.1.2): the client authenticates with a certificate from a CA the
    /// server trusts (<c>Mtls:ClientAuthorities</c>) carrying this subject DN, or one of the SAN values
    /// below. At most one of the five may be set.
    /// </summary>
    public string? TlsClientAuthSubjectDn { get; init; }

    public string? TlsClientAuthSanDns { get; init; }

    public string? TlsClientAuthSanUri { get; init; }

    public string? TlsClientAuthSanIp { get; init; }

    public string? TlsClientAuthSanEmail { get; init; }

    /// <summary>
    /// <c>self_signed_tls_client_auth</c> (RFC 8705 §2.2): the certificates (PEM or base64 DER) the
    /// client may authenticate with, self-signed and registered here instead of issued by a CA.
    /// </summary>
    public string[]? TlsClientCertificates { get; init; }

    /// <summary>RFC 8705 §3: access tokens are bound to the client certificate of the token request (<c>cnf.x5t#S256</c>).</summary>
    public bool? TlsClientCertificateBoundAccessTokens { get; init; }

    /// <summary>RFC 9126 §6: the authorization endpoint accepts this client's requests only pushed to <c>/oauth/par</c> first.</summary>
    public bool? RequirePushedAuthorizationRequests { get; init; }

    /// <summary>RFC 9101 §10.5: authorization requests only as request objects signed with a key of <c>jwtVerifier</c>.</summary>
    public bool? RequireSignedRequestObject { get; init; }

    /// <summary>RFC 8707: the resource identifiers of the APIs it may ask tokens for; empty or absent allows every API.</summary>
    public string[]? AllowedResources { get; init; }

    /// <summary>What its access tokens are signed with: RS256, PS256 or ES256; absent: the server's default.</summary>
    public string? AccessTokenSigningAlg { get; init; }

    /// <summary>What its ID tokens are signed with (OpenID Connect Dynamic Registration §2): RS256, PS256 or ES256; absent: RS256.</summary>
    public string? IdTokenSignedResponseAlg { get; init; }

    /// <summary>
    /// <c>fapi2</c>: held to the FAPI 2.0 Security Profile (confidential, PAR, PKCE, the code flow,
    /// sender-constrained tokens, private_key_jwt or mutual TLS, PS256/ES256, HTTPS); absent: none.
    /// </summary>
    public string? Profile { get; init; }

    /// <summary>Read-only (ignored on input): <c>admin</c>, or <c>registration</c> for a client that registered itself (RFC 7591).</summary>
    public string? Origin { get; init; }
}
