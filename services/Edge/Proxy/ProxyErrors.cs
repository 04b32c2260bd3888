using System.Net.Mime;
using Yarp.ReverseProxy.Forwarder;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// When the service behind a route cannot be reached (down, restarting, a replica dying
/// mid-request), the caller gets a 503 with <c>Retry-After</c> in the form its endpoint speaks —
/// RFC 6749 error JSON for OAuth endpoints and APIs, ProblemDetails for admin APIs, a page for
/// browser pages — instead of YARP's bare 502.
/// </summary>
public static class ProxyErrors
{
    private const string RetryAfterSeconds = "1";

    public static async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.GetForwarderErrorFeature() is not { } error || context.Response.HasStarted
            || error.Error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient)
        {
            return;
        }

        var response = context.Response;
        response.Clear();
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = RetryAfterSeconds;
        response.Headers.CacheControl = "no-store";
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api/admin"))
        {
            await Results.Problem(statusCode: 503, title: "Service Unavailable", detail: "The service behind this API is unavailable; try again shortly.")
                .ExecuteAsync(context);
        }
        else if (IsPage(path))
        {
            response.ContentType = MediaTypeNames.Text.Html + "; charset=utf-8";
            response.Headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'";
            await response.WriteAsync("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Temporarily unavailable</title></head>" +
                "<body><h1>Temporarily unavailable</h1><p>Sign-in is unavailable right now. Please try again in a moment.</p></body></html>");
        }
        else
        {
            await response.WriteAsJsonAsync(new Dictionary<string, string>
            {
                ["error"] = "temporarily_unavailable",
                ["error_description"] = "The server is temporarily unable to handle the request; try again shortly.",
            });
        }
    }

    private static bool IsPage(PathString path) =>
        path.StartsWithSegments("/oauth/authorize") || path.StartsWithSegments("/oauth_auth.do") || path.StartsWithSegments("/oauth/login")
        || path.StartsWithSegments("/oauth/consent") || path.StartsWithSegments("/oauth/logout");
}
