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
        // One callback chosen at start-up, no closure per request.
        Func<object, Task> addHeaders = TransportSecurity.SendsHsts(issuer, development) ? AddWithHsts : Add;
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(addHeaders, context.Response);
            return next(context);
        });
    }

    private static Task Add(object state)
    {
        var headers = ((HttpResponse)state).Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return Task.CompletedTask;
    }

    private static Task AddWithHsts(object state)
    {
        Add(state);
        ((HttpResponse)state).Headers.StrictTransportSecurity = TransportSecurity.HstsValue;
        return Task.CompletedTask;
    }
}
