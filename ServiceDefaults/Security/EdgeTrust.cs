using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Client address and scheme come from <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c>, and the
/// edge's identity headers are believed (<see cref="EdgeIdentity.Of"/>), only when the request
/// carries in <see cref="EdgeHeader"/> a service token of the edge addressed to this service (only
/// the edge holds its key; a token for another service is refused here). From anyone else those
/// headers are dropped, so a caller reaching a service directly cannot pose as another address.
/// </summary>
public static class EdgeTrust
{
    public const string FromEdgeItem = "oauthaspire.from-edge";

    /// <summary>The edge's proof on the requests it forwards to our services (never to the APIs).</summary>
    public const string EdgeHeader = "X-OAuthAspire-Edge";

    /// <summary>
    /// The client certificate the edge saw on the caller's TLS connection (RFC 9440); believed, like the
    /// forwarded address, only from the edge.
    /// </summary>
    public const string ClientCertHeader = "Client-Cert";

    public static IApplicationBuilder UseEdgeForwardedHeaders(this IApplicationBuilder app)
    {
        var verifier = app.ApplicationServices.GetRequiredService<ServiceTokenVerifier>();
        return app.Use(async (context, next) =>
        {
            await ApplyAsync(context, verifier);
            await next(context);
        });
    }

    public static bool IsFromEdge(this HttpContext context) => context.Items.ContainsKey(FromEdgeItem);

    internal static async ValueTask ApplyAsync(HttpContext context, ServiceTokenVerifier verifier)
    {
        var headers = context.Request.Headers;
        var proof = headers[EdgeHeader].ToString();
        // The proof is a credential: it never reaches the application.
        headers.Remove(EdgeHeader);
        var fromEdge = proof.Length > 0 && (await verifier.VerifyAsync(proof)).Caller == ServiceNames.Edge;
        if (fromEdge)
        {
            context.Items[FromEdgeItem] = true;
            // The edge overwrites these with exactly one value each.
            if (IPAddress.TryParse(headers["X-Forwarded-For"].ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            var proto = headers["X-Forwarded-Proto"].ToString();
            if (proto is "http" or "https")
            {
                context.Request.Scheme = proto;
            }
        }
        else
        {
            headers.Remove("X-Forwarded-For");
            headers.Remove("X-Forwarded-Proto");
            headers.Remove("X-Forwarded-Host");
            headers.Remove("X-Forwarded-Prefix");
            headers.Remove(ClientCertHeader);
        }
    }
}
