using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.ServiceDefaults.Admin;
using Scalar.AspNetCore;

namespace OAuthAspire.Edge.Discovery;

/// <summary>
/// <c>GET /api/admin/openapi.json</c>, the admin API's OpenAPI 3.1 contract, and <c>/api/admin/docs</c>, a
/// Scalar reference whose "try it" signs in to this server. Both are public (the contract holds no
/// secret); the API gate lets through only requests routed to them (<see cref="PublicApiEndpoint"/>). The page
/// loads nothing from another origin (no CDN fonts, no telemetry, no AI agent) and runs under its own
/// CSP: only scripts carrying this answer's nonce, and those they load ('strict-dynamic'), never by origin
/// alone (the protected APIs share it).
/// </summary>
public static class AdminApiDocs
{
    public static IEndpointRouteBuilder MapAdminApiDocs(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(AdminApiReference.DocumentPath, async (AdminApiDocument document, HttpContext http) =>
        {
            if (await document.GetAsync(http.RequestAborted) is not { } json)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
                    detail: "The admin API description is unavailable; retry shortly.");
            }

            http.Response.Headers.CacheControl = "public, max-age=60";
            return Results.Bytes(json, "application/json");
        }).WithMetadata(PublicApiEndpoint.Instance).ExcludeFromDescription();

        endpoints.MapScalarApiReference(AdminApiReference.DocsPath, (options, http) =>
        {
            var issuer = http.RequestServices.GetRequiredService<EdgeSettings>().Issuer;
            options.WithTitle("OAuthAspire admin API")
                .WithOpenApiRoutePattern(AdminApiReference.DocumentPath)
                .AddServer(issuer)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideClientButton()
                .HideDeveloperTools()
                .WithNonce()
                .AddPreferredSecuritySchemes(OpenApiMerge.SchemeName)
                .AddClientCredentialsFlow(OpenApiMerge.SchemeName, flow => flow.WithSelectedScopes(AdminApi.AdminScope))
                .AddAuthorizationCodeFlow(OpenApiMerge.SchemeName, flow => flow
                    .WithClientId(AdminApiReference.DocsClientId)
                    .WithPkce(Pkce.Sha256)
                    .WithRedirectUri(issuer + AdminApiReference.DocsRedirectPath)
                    .WithSelectedScopes(AdminApi.AdminScope));
            http.Response.OnStarting(() =>
            {
                if (http.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce)
                {
                    http.Response.Headers.ContentSecurityPolicy =
                        $"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                        + "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                        + "form-action 'self'; frame-ancestors 'none'";
                }

                http.Response.Headers.XFrameOptions = "DENY";
                return Task.CompletedTask;
            });
        }).WithMetadata(PublicApiEndpoint.Instance);
        return endpoints;
    }
}
