using OAuthAspire.Protocol.Policies;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// APIs share the issuer's origin, so nothing they send may act on it: they never see the issuer's
/// cookies (a sign-in session could be replayed), and cannot set cookies (session fixation, cookie
/// tossing beats any name filter), register service workers or clear site data; and whatever they
/// answer runs sandboxed (a unique origin: no script on the issuer's origin can approve a consent).
/// A separate host for APIs is the stronger boundary (docs/SECURITY.md).
/// </summary>
public static class ApiIsolation
{
    public static readonly string[] DroppedResponseHeaders = ["Set-Cookie", "Service-Worker-Allowed", "Clear-Site-Data"];

    public const string Sandbox = "sandbox";

    public static void Apply(TransformBuilderContext context)
    {
        context.AddRequestHeaderRemove("Cookie");
        foreach (var header in DroppedResponseHeaders)
        {
            context.AddResponseHeaderRemove(header, ResponseCondition.Always);
        }

        // Appended: an API's own policy still applies too (every policy sent is enforced).
        context.AddResponseHeader("Content-Security-Policy", Sandbox, append: true, ResponseCondition.Always);
    }
}

/// <summary>Serves the APIs on their own host name when <c>Edge:ApiHost</c> is set (see <see cref="ApiHosts"/>).</summary>
public sealed class ApiHostGate(RequestDelegate next, IConfiguration configuration)
{
    private readonly string? _apiHost = configuration["Edge:ApiHost"] is { Length: > 0 } host ? host : null;
    private readonly bool _apiOnIssuerHost = configuration.GetValue("Edge:ApiOnIssuerHost", true);

    public Task InvokeAsync(HttpContext context)
    {
        if (ApiHosts.Decide(context.Request.Host.Host, context.Request.Path, _apiHost, _apiOnIssuerHost) == HostDecision.Serve)
        {
            return next(context);
        }

        return EdgeRefusal.WriteAsync(context, StatusCodes.Status404NotFound, null, EdgeRefusal.FormFor(context.Request.Path), "Not Found",
            "Nothing is served at this path on this host name.", "There is no such page here.", "invalid_request");
    }
}
