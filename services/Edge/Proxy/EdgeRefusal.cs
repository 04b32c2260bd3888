using System.Net.Mime;

namespace OAuthAspire.Edge.Proxy;

/// <summary>The form an answer the edge makes itself takes, after the endpoint it stands in for.</summary>
public enum RefusalForm
{
    /// <summary>RFC 6749 error JSON: OAuth endpoints and the APIs.</summary>
    OAuthJson,

    /// <summary>RFC 9457 ProblemDetails: the admin APIs.</summary>
    Problem,

    /// <summary>A small HTML page: the browser's sign-in pages.</summary>
    Page,
}

/// <summary>Writes a refusal the edge answers itself (503, 429, 413) in the form of the endpoint asked.</summary>
public static class EdgeRefusal
{
    /// <summary>Which form the endpoint at <paramref name="path"/> speaks.</summary>
    public static RefusalForm FormFor(PathString path) =>
        path.StartsWithSegments("/api/admin") ? RefusalForm.Problem
        : path.StartsWithSegments("/oauth/authorize") || path.StartsWithSegments("/oauth_auth.do") || path.StartsWithSegments("/oauth/login")
            || path.StartsWithSegments("/oauth/consent") || path.StartsWithSegments("/oauth/logout") ? RefusalForm.Page
        : RefusalForm.OAuthJson;

    /// <param name="pageText">What the page says (one sentence) when the form is a page.</param>
    /// <param name="oauthError">The RFC 6749 error code when the form is OAuth JSON.</param>
    public static async Task WriteAsync(HttpContext context, int status, string? retryAfterSeconds, RefusalForm form, string title, string description,
        string pageText, string oauthError = "temporarily_unavailable")
    {
        var response = context.Response;
        response.StatusCode = status;
        if (retryAfterSeconds is not null)
        {
            response.Headers.RetryAfter = retryAfterSeconds;
        }

        response.Headers.CacheControl = "no-store";
        switch (form)
        {
            case RefusalForm.Problem:
                await Results.Problem(statusCode: status, title: title, detail: description).ExecuteAsync(context);
                break;
            case RefusalForm.Page:
                response.ContentType = MediaTypeNames.Text.Html + "; charset=utf-8";
                response.Headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
                await response.WriteAsync($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>" +
                    $"<body><h1>{title}</h1><p>{pageText}</p></body></html>");
                break;
            default:
                await response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = oauthError, ["error_description"] = description });
                break;
        }
    }
}
