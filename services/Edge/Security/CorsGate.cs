using System.Collections.Frozen;
using Microsoft.Net.Http.Headers;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Discovery;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// CORS for the endpoints a single-page app on its own origin calls with <c>fetch</c>: discovery,
/// JWKS, token, PAR, userinfo, revocation, end-session and the APIs' protected resource metadata (RFC 9728). Only the edge decides: it answers preflights
/// itself and gives an answer <c>Access-Control-Allow-Origin</c> only for an origin some active
/// client registered (<see cref="CorsOrigins"/>), that exact origin, never <c>*</c> and never with
/// credentials (these endpoints take no cookies). Every answer of these paths varies by
/// <c>Origin</c>, so a cache never hands one origin's answer to another.
/// </summary>
public sealed class CorsGate(RequestDelegate next, CorsOrigins origins, EdgeSettings settings)
{
    /// <summary>Path → the methods its endpoint accepts, as a preflight is told them.</summary>
    private static readonly FrozenDictionary<string, string> Routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [MetadataBuilder.Paths.OpenIdConfiguration] = "GET",
        [MetadataBuilder.Paths.OAuthServerMetadata] = "GET",
        [MetadataBuilder.Paths.Jwks] = "GET",
        [MetadataBuilder.Paths.Token] = "POST",
        [MetadataBuilder.Paths.TokenAlias] = "POST",
        // A single-page app may push its requests too (public clients, RFC 9126 §2).
        [MetadataBuilder.Paths.PushedAuthorization] = "POST",
        [MetadataBuilder.Paths.DeviceAuthorization] = "POST",
        [MetadataBuilder.Paths.UserInfo] = "GET, POST",
        [MetadataBuilder.Paths.Revocation] = "POST",
        [MetadataBuilder.Paths.EndSession] = "GET, POST",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Request headers beyond the CORS-safelisted ones that these endpoints read.</summary>
    public const string AllowedHeaders = "Authorization, Content-Type, DPoP";

    /// <summary>Response headers a page needs to read beyond the safelisted ones: challenges, nonces, back-off.</summary>
    public const string ExposedHeaders = "WWW-Authenticate, DPoP-Nonce, Retry-After";

    public const string MaxAgeSeconds = "600";

    /// <summary>Every CORS response header: dropped from what services answer (<see cref="DropUpstreamHeaders"/>).</summary>
    public static readonly string[] ResponseHeaders =
    [
        HeaderNames.AccessControlAllowOrigin, HeaderNames.AccessControlAllowCredentials, HeaderNames.AccessControlAllowMethods,
        HeaderNames.AccessControlAllowHeaders, HeaderNames.AccessControlExposeHeaders, HeaderNames.AccessControlMaxAge,
        "Access-Control-Allow-Private-Network",
    ];

    private static readonly Func<object, Task> AddVary = state =>
    {
        Vary((HttpResponse)state);
        return Task.CompletedTask;
    };

    private static readonly Func<object, Task> AllowOrigin = state =>
    {
        var (response, origin) = (CrossOrigin)state;
        Vary(response);
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlExposeHeaders = ExposedHeaders;
        return Task.CompletedTask;
    };

    // The issuer's own pages (the logout page posting to /oauth/logout) are same-origin: no CORS to decide.
    private readonly string _self = WebOrigins.Serialize(new Uri(settings.Issuer));

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!Routes.TryGetValue(path, out var methods))
        {
            // RFC 9728 metadata, one document per API: read by browser clients that met the API first.
            if (!path.StartsWith(ProtectedResourceMetadata.WellKnown, StringComparison.OrdinalIgnoreCase))
            {
                return next(context);
            }

            methods = "GET";
        }

        var origin = context.Request.Headers.Origin;
        if (origin.Count != 1 || string.IsNullOrEmpty(origin[0]) || string.Equals(origin[0], _self, StringComparison.Ordinal))
        {
            context.Response.OnStarting(AddVary, context.Response);
            return next(context);
        }

        return CrossOriginAsync(context, origin[0]!, methods);
    }

    /// <summary>YARP transforms that drop any CORS header a service sends, on every route: only the edge grants cross-origin reads.</summary>
    public static void DropUpstreamHeaders(TransformBuilderContext context)
    {
        foreach (var header in ResponseHeaders)
        {
            context.AddResponseHeaderRemove(header, ResponseCondition.Always);
        }
    }

    private async Task CrossOriginAsync(HttpContext context, string origin, string methods)
    {
        var allowed = await origins.AllowsAsync(origin, context.RequestAborted);
        var request = context.Request;
        if (HttpMethods.IsOptions(request.Method) && request.Headers.AccessControlRequestMethod.Count > 0)
        {
            // A preflight is answered here, never forwarded; an unregistered origin learns nothing but "no".
            var response = context.Response;
            Vary(response);
            if (!allowed)
            {
                response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            response.StatusCode = StatusCodes.Status204NoContent;
            response.Headers.AccessControlAllowOrigin = origin;
            response.Headers.AccessControlAllowMethods = methods;
            response.Headers.AccessControlAllowHeaders = AllowedHeaders;
            response.Headers.AccessControlMaxAge = MaxAgeSeconds;
            return;
        }

        // Set as the answer starts: after the service's headers were copied (and its CORS headers
        // dropped), and on the edge's own answers too (429, 503, 413), so a page can read why.
        context.Response.OnStarting(allowed ? AllowOrigin : AddVary, allowed ? new CrossOrigin(context.Response, origin) : (object)context.Response);
        await next(context);
    }

    private static void Vary(HttpResponse response) => response.Headers.Append(HeaderNames.Vary, "Origin");

    private sealed record CrossOrigin(HttpResponse Response, string Origin);
}
