using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>Shapes the metadata document from the issuer, the scopes and what the server offers.</summary>
public static class MetadataBuilder
{
    public const string OAuthServerPath = "/.well-known/oauth-authorization-server";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";

    public static class Paths
    {
        public const string Authorization = "/oauth/authorize";
        public const string Token = "/oauth/token";
        public const string Jwks = "/oauth/jwks";
        public const string Revocation = "/oauth/revoke";
        public const string Introspection = "/oauth/introspect";
    }

    private static readonly string[] SecretAuthMethods = [ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost];

    // Public clients identify themselves with client_id alone at the token and revocation endpoints.
    private static readonly string[] TokenAuthMethods = [ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost, ClientAuthentication.None];

    /// <param name="scopes">Active scope names; listed sorted and without duplicates.</param>
    public static ServerMetadata Build(Issuer issuer, IEnumerable<string> scopes) => new()
    {
        Issuer = issuer.Value,
        AuthorizationEndpoint = issuer.Url(Paths.Authorization),
        TokenEndpoint = issuer.Url(Paths.Token),
        JwksUri = issuer.Url(Paths.Jwks),
        RevocationEndpoint = issuer.Url(Paths.Revocation),
        IntrospectionEndpoint = issuer.Url(Paths.Introspection),
        ScopesSupported = scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
        ResponseTypesSupported = ["code"],
        ResponseModesSupported = ["query", "form_post"],
        GrantTypesSupported = [GrantTypes.AuthorizationCode, GrantTypes.ClientCredentials],
        TokenEndpointAuthMethodsSupported = TokenAuthMethods,
        RevocationEndpointAuthMethodsSupported = TokenAuthMethods,
        IntrospectionEndpointAuthMethodsSupported = SecretAuthMethods,
        CodeChallengeMethodsSupported = ["S256"],
        AuthorizationResponseIssParameterSupported = true,
    };
}
