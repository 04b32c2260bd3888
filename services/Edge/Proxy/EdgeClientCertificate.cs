using System.Net;
using System.Security.Cryptography.X509Certificates;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// The caller's client certificate (RFC 8705): the one presented on the edge's mutual-TLS listener,
/// or, for a request from a proxy in <c>Edge:ClientCertProxies</c> that terminated TLS itself, the one
/// in its RFC 9440 <c>Client-Cert</c> header. That list is apart from <c>Edge:TrustedProxies</c> and
/// empty by default: a proxy that passes a caller's own <c>Client-Cert</c> through would let anyone
/// holding a client's (public) certificate pose as that client, so only proxies known to overwrite
/// the header belong in it. From anyone else the header is dropped before anything reads it. Kept per
/// request, never on the connection: a proxy's connection carries many callers (HTTP/2 streams among them).
/// </summary>
public static class EdgeClientCertificate
{
    public const string ProxiesKey = "Edge:ClientCertProxies";

    private const string Item = "oauthaspire.edge.client-certificate";

    /// <summary>Before the trusted proxies (<c>UseTrustedProxies</c>): the proxy is told by the connection's own address.</summary>
    public static IApplicationBuilder UseClientCertificates(this IApplicationBuilder app, IConfiguration configuration)
    {
        var proxies = NetworkList.FromConfiguration(configuration, ProxiesKey);
        return app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            var forwarded = headers[ClientCertHeader.Name];
            headers.Remove(ClientCertHeader.Name);
            X509Certificate2? certificate;
            if (FromProxy(context.Connection.RemoteIpAddress, proxies))
            {
                // The proxy's own certificate, if any, is not the caller's.
                certificate = forwarded.Count == 1 ? ClientCertHeader.Parse(forwarded[0]) : null;
                if (certificate is not null)
                {
                    context.Response.RegisterForDispose(certificate);
                }
            }
            else
            {
                certificate = context.Connection.ClientCertificate;
            }

            // Kept only when there is one: most calls carry none, and Items costs a dictionary per request.
            if (certificate is not null)
            {
                context.Items[Item] = certificate;
            }
            return next(context);
        });
    }

    /// <summary>The caller's certificate; null when it presented none.</summary>
    public static X509Certificate2? Of(HttpContext context) => context.Items.TryGetValue(Item, out var value) ? value as X509Certificate2 : null;

    private static bool FromProxy(IPAddress? address, IReadOnlyList<IPNetwork> proxies)
    {
        if (address is null || proxies.Count == 0)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var proxy in proxies)
        {
            if (proxy.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
