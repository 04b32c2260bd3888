using Microsoft.AspNetCore.HttpOverrides;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// The caller's address, which rate limits and audit events key on. <c>X-Forwarded-For</c> is
/// believed only from the proxies configured in <c>Edge:TrustedProxies</c> (CIDR list; e.g. a
/// TLS-terminating load balancer), reading right to left and stopping at the first address that is
/// not one of them: what a caller writes into the header itself never counts. With no trusted
/// proxies the header is ignored and the connection's own address is the caller.
/// </summary>
public static class TrustedProxies
{
    public const string ConfigKey = "Edge:TrustedProxies";

    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, IConfiguration configuration)
    {
        var proxies = NetworkList.FromConfiguration(configuration, ConfigKey);
        if (proxies.Count == 0)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor,
            // Every trusted hop is walked, not just the last one.
            ForwardLimit = null,
            RequireHeaderSymmetry = false,
        };
        // The defaults trust loopback: only what is configured counts.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            options.KnownIPNetworks.Add(proxy);
        }

        return app.UseForwardedHeaders(options);
    }
}
