using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Authorize.Pages;

/// <summary>Headers for every browser-facing page: never framed, never sniffed, no referrer, never cached.</summary>
public static class PageHeaders
{
    public static IApplicationBuilder UsePageHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if ((path.StartsWithSegments("/oauth") && !path.StartsWithSegments(MetadataBuilder.Paths.Assets)) || path.StartsWithSegments(MetadataBuilder.Paths.Device)
                || path.StartsWithSegments(MetadataBuilder.Paths.Account))
            {
                var headers = context.Response.Headers;
                headers.XFrameOptions = "DENY";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
            }

            return next(context);
        });
}
