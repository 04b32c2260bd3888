using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>Shapes the metadata document from the issuer, the scopes and what the server offers.</summary>
public static class MetadataBuilder
{
    public const string OAuthServerPath = "/.well-known/oauth-authorization-server";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";

    public static class Paths
    {
        public const string Token = "/oauth/token";
        public const string Jwks = "/oauth/jwks";
        public const string Revocation = "/oauth/revoke";
        public const string Introspection = "/oauth/introspect";
    }

    private static readonly string[] SecretAuthMethods = [ClientAuthentication.ClientSecretBasic, ClientAuthentication.ClientSecretPost];

    /// <param name="scopes">Active scope names; listed sorted and without duplicates.</param>
    public static ServerMetadata Build(Issuer issuer, IEnumerable<string> scopes) => new()
    {
        Issuer = issuer.Value,
        TokenEndpoint = issuer.Url(Paths.Token),
        JwksUri = issuer.Url(Paths.Jwks),
        RevocationEndpoint = issuer.Url(Paths.Revocation),
        IntrospectionEndpoint = issuer.Url(Paths.Introspection),
        ScopesSupported = scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
        // No authorization endpoint yet, so no response type is offered.
        ResponseTypesSupported = [],
        GrantTypesSupported = [GrantTypes.ClientCredentials],
        TokenEndpointAuthMethodsSupported = SecretAuthMethods,
        RevocationEndpointAuthMethodsSupported = SecretAuthMethods,
        IntrospectionEndpointAuthMethodsSupported = SecretAuthMethods,
    };
}
