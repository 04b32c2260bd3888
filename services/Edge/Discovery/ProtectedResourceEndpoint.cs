using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Edge.Discovery;

/// <summary>
/// <c>GET /.well-known/oauth-protected-resource{path}</c> (RFC 9728): for each API whose resource
/// identifier is on this origin, where and how to get a token for it, so a client that knows only
/// the API's URL (as MCP clients do) finds its authorization server. Served by the edge from its
/// policy snapshot; 404 for any other path.
/// </summary>
public static class ProtectedResourceEndpoint
{
    public static IEndpointRouteBuilder MapProtectedResourceMetadata(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ProtectedResourceMetadata.WellKnown + "/{**rest}", GetAsync);
        return endpoints;
    }

    private static async Task<IResult> GetAsync(HttpContext context, ApiPolicySnapshot policies, EdgeSettings settings, IConfiguration configuration,
        ILoggerFactory loggers)
    {
        var origin = ProtectedResourceMetadata.OriginOf(settings.Issuer);
        try
        {
            var (set, _) = await policies.GetAsync(context.RequestAborted);
            if (ProtectedResourceMetadata.Find(set.Policies, origin, context.Request.Path.Value!) is not { } policy)
            {
                return TypedResults.Json(new OAuthError(OAuthErrorCodes.InvalidRequest, "No protected resource has its metadata here."), ProtocolJson.Options,
                    statusCode: StatusCodes.Status404NotFound);
            }

            context.Response.Headers.CacheControl = "public, max-age=60";
            return TypedResults.Json(ProtectedResourceMetadata.Describe(policy, settings.Issuer, DpopProtocol.Algorithms,
                !string.IsNullOrEmpty(configuration["Mtls:BaseUrl"])), ProtocolJson.Options);
        }
        catch (Exception e) when (Dependencies.Away(e) && !context.RequestAborted.IsCancellationRequested)
        {
            loggers.CreateLogger(typeof(ProtectedResourceEndpoint)).LogWarning("Protected resource metadata unavailable: {Reason}", e.Message);
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Json(new OAuthError(OAuthErrorCodes.TemporarilyUnavailable, "The API policies are unavailable; retry shortly."),
                ProtocolJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
