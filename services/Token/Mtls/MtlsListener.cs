using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Token.Mtls;

/// <summary>
/// Where the edge asks for client certificates (<c>Mtls:BaseUrl</c>, given by the AppHost), as the
/// metadata's <c>mtls_endpoint_aliases</c>; null aliases when the deployment has no such listener.
/// </summary>
public sealed record MtlsListener(MtlsEndpointAliases? Aliases)
{
    public static MtlsListener From(IConfiguration configuration) => new(MtlsEndpointAliases.ForOrigin(configuration[MtlsEndpointAliases.BaseUrlKey]));
}
