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

        context.Response.Clear();
        var form = EdgeRefusal.FormFor(context.Request.Path);
        await EdgeRefusal.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, RetryAfterSeconds, form,
            form == RefusalForm.Page ? "Temporarily unavailable" : "Service Unavailable",
            form == RefusalForm.Problem
                ? "The service behind this API is unavailable; try again shortly."
                : "The server is temporarily unable to handle the request; try again shortly.",
            "Sign-in is unavailable right now. Please try again in a moment.");
    }
}
