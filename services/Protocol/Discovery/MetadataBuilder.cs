namespace OAuthAspire.Protocol.Discovery;

/// <summary>Shapes the metadata document from the issuer, the scopes and what the server offers.</summary>
public static class MetadataBuilder
{
    public const string OAuthServerPath = "/.well-known/oauth-authorization-server";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";

    /// <param name="scopes">Active scope names; listed sorted and without duplicates.</param>
    public static ServerMetadata Build(Issuer issuer, IEnumerable<string> scopes) => new()
    {
        Issuer = issuer.Value,
        ScopesSupported = scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
        // No authorization endpoint yet, so no response type is offered.
        ResponseTypesSupported = [],
    };
}
