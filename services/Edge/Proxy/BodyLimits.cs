using Microsoft.AspNetCore.Http.Features;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// Refuses a body larger than the service behind the route reads, here, with a clean 413 in the
/// endpoint's form. Forwarded, the service would answer 413 without reading it and close its
/// connection under the body still being sent; the edge could then see a broken connection before
/// the answer and report the service unavailable. Bodies without a length are cut at the same size.
/// </summary>
public static class BodyLimits
{
    public static async Task EnforceAsync(HttpContext context, Func<Task> next)
    {
        if (EdgeRoutes.BodyLimitOf(context.GetReverseProxyFeature().Route.Config.ClusterId ?? "") is not { } limit)
        {
            await next();
            return;
        }

        if (context.Request.ContentLength > limit)
        {
            var form = EdgeRefusal.FormFor(context.Request.Path);
            await EdgeRefusal.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, null, form, form == RefusalForm.Page ? "Request too large" : "Payload Too Large",
                $"The request body is larger than {limit / 1024} KiB.", "The request was too large.", "invalid_request");
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        await next();
    }
}
