using Microsoft.Extensions.Primitives;
using OAuthAspire.Protocol.Discovery;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// The admin console shares the issuer's origin but not its trust: it sees only its own cookies
/// (never the issuer's sign-in session, which would be a credential of the system), may set only
/// its own (named <see cref="AdminConsoleApp.CookiePrefix"/>…, scoped to <c>/console</c>, no domain),
/// cannot register service workers or clear site data, and whatever it answers runs under its no-script policy.
/// </summary>
public static class ConsoleIsolation
{
    public static void Apply(TransformBuilderContext context)
    {
        context.AddRequestTransform(transform =>
        {
            RequestTransform.RemoveHeader(transform, "Cookie");
            if (OwnCookies(transform.HttpContext.Request.Headers.Cookie) is { } own)
            {
                RequestTransform.AddHeader(transform, "Cookie", own);
            }

            return ValueTask.CompletedTask;
        });
        context.AddResponseTransform(transform =>
        {
            var headers = transform.HttpContext.Response.Headers;
            if (headers.SetCookie.Count > 0)
            {
                headers.SetCookie = new StringValues(headers.SetCookie.Where(IsOwnSetCookie).ToArray());
            }

            return ValueTask.CompletedTask;
        });
        context.AddResponseHeaderRemove("Service-Worker-Allowed", ResponseCondition.Always);
        context.AddResponseHeaderRemove("Clear-Site-Data", ResponseCondition.Always);
        // Appended: every policy sent is enforced, so the console cannot loosen its own.
        context.AddResponseHeader("Content-Security-Policy", AdminConsoleApp.ContentSecurityPolicy, append: true, ResponseCondition.Always);
    }

    /// <summary>The console's own cookies of a Cookie header (RFC 6265 §5.4: <c>name=value; name=value</c>); null when none.</summary>
    public static string? OwnCookies(StringValues header)
    {
        var own = header.SelectMany(h => (h ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(pair => pair.StartsWith(AdminConsoleApp.CookiePrefix, StringComparison.Ordinal))
            .ToArray();
        return own.Length == 0 ? null : string.Join("; ", own);
    }

    /// <summary>A Set-Cookie the console may send: its own name, its own path, no domain (which would reach other hosts).</summary>
    public static bool IsOwnSetCookie(string? setCookie)
    {
        if (setCookie is null || !setCookie.StartsWith(AdminConsoleApp.CookiePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(a => a.Split('=', 2)).Select(a => (Name: a[0].ToLowerInvariant(), Value: a.Length > 1 ? a[1] : "")).ToArray();
        var path = attributes.LastOrDefault(a => a.Name == "path").Value;
        return !attributes.Any(a => a.Name == "domain")
            && path is not null && (path == AdminConsoleApp.Path || path.StartsWith(AdminConsoleApp.Path + "/", StringComparison.Ordinal));
    }
}
