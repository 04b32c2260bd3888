using System.Net.Mime;
using OAuthAspire.Protocol.Discovery;

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

/// <summary>
/// Writes every refusal the edge answers itself (400, 401 and 403 on the APIs, 404, 413, 429, 503)
/// in the form of the endpoint asked: the one place such an answer is shaped.
/// </summary>
public static class EdgeRefusal
{
    /// <summary>Which form the endpoint at <paramref name="path"/> speaks.</summary>
    public static RefusalForm FormFor(PathString path) =>
        path.StartsWithSegments("/api/admin") ? RefusalForm.Problem
        : path.StartsWithSegments(MetadataBuilder.Paths.Authorization) || path.StartsWithSegments(MetadataBuilder.Paths.AuthorizationAlias)
            || path.StartsWithSegments(MetadataBuilder.Paths.Login) || path.StartsWithSegments(MetadataBuilder.Paths.Consent)
            || path.StartsWithSegments(MetadataBuilder.Paths.EndSession) || path.StartsWithSegments(MetadataBuilder.Paths.Device) ? RefusalForm.Page
        : RefusalForm.OAuthJson;

    /// <param name="pageText">What the page says (one sentence) when the form is a page.</param>
    /// <param name="oauthError">The RFC 6749 error code when the form is OAuth JSON; null for no body (RFC 6750 §3.1: a
    /// request that sent no token is told no error).</param>
    /// <param name="challenge">The <c>WWW-Authenticate</c> value (RFC 6750 §3) when the bearer token or its scopes are at fault.</param>
    public static async Task WriteAsync(HttpContext context, int status, string? retryAfterSeconds, RefusalForm form, string title, string description,
        string pageText, string? oauthError = "temporarily_unavailable", string? challenge = null)
    {
        var response = context.Response;
        if (!await DrainAsync(context, status))
        {
            // Part of the body stays unread: the connection ends after this answer, and says so,
            // or the caller would send its next request on a connection about to close.
            response.Headers.Connection = "close";
        }

        response.StatusCode = status;
        if (retryAfterSeconds is not null)
        {
            response.Headers.RetryAfter = retryAfterSeconds;
        }

        if (challenge is not null)
        {
            response.Headers.WWWAuthenticate = challenge;
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
                if (oauthError is not null)
                {
                    await response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = oauthError, ["error_description"] = description });
                }

                break;
        }
    }

    /// <summary>
    /// Reads what is left of a refused request's body (within the edge's limits) before answering:
    /// a connection closed with unread bytes in its buffer is reset, and the caller may never see the
    /// refusal. A 413 is the exception: its body is what is refused, and is not read. False when
    /// the body was not read to its end.
    /// </summary>
    public static async Task<bool> DrainAsync(HttpContext context, int status)
    {
        if (context.Request.ContentLength == 0
            || context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return true;
        }

        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            return false;
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
            {
            }

            return true;
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Too large or broken: answered all the same, then the connection ends.
            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
