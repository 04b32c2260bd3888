using OAuthAspire.Protocol.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Headers every answer of the public origin carries, whatever service produced it: never
/// sniffed, no referrer leaked, and HSTS whenever the issuer is HTTPS outside development.
/// (HTML pages add their CSP and frame-ancestors themselves; token and userinfo answers their no-store.)
/// </summary>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, Uri issuer, bool development)
    {
        var hsts = TransportSecurity.SendsHsts(issuer, development);
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (hsts)
                {
                    headers.StrictTransportSecurity = TransportSecurity.HstsValue;
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
