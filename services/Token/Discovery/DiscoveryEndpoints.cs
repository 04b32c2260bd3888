using Grpc.Core;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Token.Mtls;

namespace OAuthAspire.Token.Discovery;

/// <summary>RFC 8414 metadata and the OpenID Connect discovery document.</summary>
public static class DiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapDiscoveryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(MetadataBuilder.Paths.OAuthServerMetadata, GetMetadataAsync);
        endpoints.MapGet(MetadataBuilder.Paths.OpenIdConfiguration, GetMetadataAsync);
        return endpoints;
    }

    private static async Task<IResult> GetMetadataAsync(
        Issuer issuer, Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient scopePolicy, MtlsListener mtls, ClientCertificates certificates, IConfiguration configuration, HttpContext context)
    {
        ListScopesReply scopes;
        try
        {
            scopes = await scopePolicy.ListScopesAsync(new ListScopesRequest(), cancellationToken: context.RequestAborted);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Json(new OAuthError(OAuthErrorCodes.TemporarilyUnavailable, "Scope information is unavailable; retry shortly."),
                ProtocolJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var metadata = MetadataBuilder.Build(issuer, scopes.Scopes.Select(s => s.Name), mtls.Aliases, certificates.TrustsAuthorities) with
        {
            // The authorize service enforces it from the same setting (AuthorizeOptions).
            RequirePushedAuthorizationRequests = configuration.GetValue("Authorize:RequirePushedAuthorizationRequests", false),
            // RFC 8414 §2: where clients register themselves, when the administrator lets them (client-registry serves it).
            RegistrationEndpoint = configuration["Registration:Mode"] is null or "" or "off" ? null : issuer.Url(MetadataBuilder.Paths.Registration),
            ClientIdMetadataDocumentSupported = string.IsNullOrEmpty(configuration["Registration:MetadataDocumentPolicy"]) ? null : true,
        };
        return TypedResults.Json(metadata, ProtocolJson.Options);
    }
}
