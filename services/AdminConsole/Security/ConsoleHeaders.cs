using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.AdminConsole.Security;

/// <summary>
/// The console's pages run no script at all (server-rendered forms), so the policy allows none:
/// styles from the console only, forms posting only to this origin, never framed, never cached
/// (a page may show a secret once).
/// </summary>
public sealed class ConsoleHeaders(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.ContentSecurityPolicy = AdminConsoleApp.ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-store";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }
}
