using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>Shapes the metadata document from the issuer, the scopes and what the server offers.</summary>
public static class MetadataBuilder
{
    /// <summary>
    /// Every public path of the issuer, written once: the services map them, the edge routes them,
    /// the metadata advertises them.
    /// </summary>
    public static class Paths
    {
        public const string OAuthServerMetadata = "/.well-known/oauth-authorization-server";
        public const string OpenIdConfiguration = "/.well-known/openid-configuration";
        public const string Authorization = "/oauth/authorize";
        public const string Token = "/oauth/token";
        public const string PushedAuthorization = "/oauth/par";
        public const string DeviceAuthorization = "/oauth/device_authorization";
        public const string Registration = "/oauth/register";
        public const string Jwks = "/oauth/jwks";
        public const string Revocation = "/oauth/revoke";
        public const string Introspection = "/oauth/introspect";
        public const string UserInfo = "/oauth/userinfo";
        public const string EndSession = "/oauth/logout";

        // ServiceNow's names for the authorization and token endpoints; not advertised.
        public const string AuthorizationAlias = "/oauth_auth.do";
        public const string TokenAlias = "/oauth_token.do";

        // The authorize service's own browser pages: not in the metadata, but routed by the edge.
        public const string Login = "/oauth/login";
        public const string Consent = "/oauth/consent";
        public const string Assets = "/oauth/assets";

        /// <summary>Signing in through a trusted provider: POST starts it; <c>/{trust}/callback</c> is that trust's redirect URI at the provider.</summary>
        public const string FederatedLogin = Login + "/federated";

        /// <summary>RFC 8628 §3.3: where the user enters a device's code (the <c>verification_uri</c>).</summary>
        public const string Device = "/device";

        /// <summary>The signed-in user's own account pages (not in the metadata): connected applications, password.</summary>
        public const string Account = "/account";
    }

    private static readonly string[] ConfidentialAuthMethods = [ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost, ClientAuthentication.PrivateKeyJwt];

    // Public clients identify themselves with client_id alone at the token and revocation endpoints.
    private static readonly string[] TokenAuthMethods =
        [ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost, ClientAuthentication.PrivateKeyJwt, ClientAuthentication.None];


    /// <param name="scopes">Active scope names; listed sorted and without duplicates.</param>
    public static ServerMetadata Build(Issuer issuer, IEnumerable<string> scopes) => new()
    {
        Issuer = issuer.Value,
        AuthorizationEndpoint = issuer.Url(Paths.Authorization),
        TokenEndpoint = issuer.Url(Paths.Token),
        PushedAuthorizationRequestEndpoint = issuer.Url(Paths.PushedAuthorization),
        RequirePushedAuthorizationRequests = false,
        DeviceAuthorizationEndpoint = issuer.Url(Paths.DeviceAuthorization),
        JwksUri = issuer.Url(Paths.Jwks),
        RevocationEndpoint = issuer.Url(Paths.Revocation),
        IntrospectionEndpoint = issuer.Url(Paths.Introspection),
        UserinfoEndpoint = issuer.Url(Paths.UserInfo),
        EndSessionEndpoint = issuer.Url(Paths.EndSession),
        ScopesSupported = scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
        // The implicit types are served only to clients that enable the grant (legacy apps).
        ResponseTypesSupported = ["code", "token", "id_token token"],
        ResponseModesSupported = ["query", "fragment", "form_post"],
        GrantTypesSupported = [GrantTypes.AuthorizationCode, GrantTypes.ClientCredentials, GrantTypes.RefreshToken, GrantTypes.Password,
            GrantTypes.JwtBearer, GrantTypes.TokenExchange, GrantTypes.DeviceCode, GrantTypes.Implicit],
        TokenEndpointAuthMethodsSupported = TokenAuthMethods,
        RevocationEndpointAuthMethodsSupported = TokenAuthMethods,
        IntrospectionEndpointAuthMethodsSupported = ConfidentialAuthMethods,
        TokenEndpointAuthSigningAlgValuesSupported = Assertions.AssertionPolicy.DefaultAlgorithms,
        CodeChallengeMethodsSupported = ["S256"],
        DpopSigningAlgValuesSupported = Dpop.DpopProtocol.Algorithms,
        AuthorizationResponseIssParameterSupported = true,
        SubjectTypesSupported = ["public"],
        IdTokenSigningAlgValuesSupported = [.. Tokens.SigningAlgorithms.Supported],
        ClaimsSupported = OpenIdConnect.UserInfo.ClaimsSupported,
        ClaimsParameterSupported = false,
        // Signed request objects by value (RFC 9101), with the clients' registered asymmetric keys.
        RequestParameterSupported = true,
        RequestObjectSigningAlgValuesSupported = Assertions.AssertionPolicy.DefaultAlgorithms,
        RequireSignedRequestObject = false,
        // Only request URIs this server handed out at its pushed authorization endpoint (RFC 9126).
        RequestUriParameterSupported = true,
        FrontchannelLogoutSupported = false,
    };

    /// <summary>
    /// The same document for a server that also offers mutual TLS (RFC 8705): the two certificate
    /// methods at the token endpoint, certificate-bound access tokens, and where to send such requests.
    /// </summary>
    /// <param name="mtls">The mutual-TLS endpoints; null gives exactly <see cref="Build(Issuer, IEnumerable{string})"/>.</param>
    /// <param name="trustsClientAuthorities">
    /// Whether any CA is trusted for client certificates: without one, <c>tls_client_auth</c> could
    /// authenticate nobody and is not offered (self-signed certificates need none).
    /// </param>
    public static ServerMetadata Build(Issuer issuer, IEnumerable<string> scopes, MtlsEndpointAliases? mtls, bool trustsClientAuthorities = true)
    {
        var metadata = Build(issuer, scopes);
        if (mtls is null)
        {
            return metadata;
        }

        string[] certificateMethods = trustsClientAuthorities
            ? [MtlsProtocol.TlsClientAuth, MtlsProtocol.SelfSignedTlsClientAuth]
            : [MtlsProtocol.SelfSignedTlsClientAuth];
        return metadata with
        {
            // The certificate methods authenticate at every endpoint that has an alias.
            TokenEndpointAuthMethodsSupported = [.. TokenAuthMethods, .. certificateMethods],
            RevocationEndpointAuthMethodsSupported = [.. TokenAuthMethods, .. certificateMethods],
            IntrospectionEndpointAuthMethodsSupported = [.. ConfidentialAuthMethods, .. certificateMethods],
            TlsClientCertificateBoundAccessTokens = true,
            MtlsEndpointAliases = mtls,
        };
    }
}
