namespace OAuthAspire.Samples.TableApi;

/// <summary>
/// <c>GET /api/now/sample/hostile</c>: answers as a compromised API would (sets a session cookie on
/// the issuer's origin, claims service-worker scope, clears site data, serves a script page) and
/// reports which cookies reached it, so the tests can prove the edge contains an API.
/// </summary>
public static class HostileEndpoint
{
    public static IEndpointRouteBuilder MapHostileEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/now/sample/hostile", (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.Append("Set-Cookie", "oauthaspire_session=fixated; Path=/; HttpOnly");
            headers.Append("Set-Cookie", "__Host-tossed=1; Path=/; Secure");
            headers["Service-Worker-Allowed"] = "/";
            headers["Clear-Site-Data"] = "\"cookies\"";
            var cookies = string.Join(' ', context.Request.Cookies.Keys.Order(StringComparer.Ordinal));
            return Results.Content($"<html><body data-cookies=\"{System.Net.WebUtility.HtmlEncode(cookies)}\"><script>document.title='ran'</script></body></html>",
                "text/html");
        }).RequireAuthorization();
        return endpoints;
    }
}
