using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Token.Endpoints;

/// <summary>
/// Responses of the back-channel endpoints: RFC 6749 JSON, never cached (§5.1), with a Basic
/// challenge on 401 (§5.2) and Retry-After when a dependency is down.
/// </summary>
public static class OAuthResults
{
    public const string Realm = "oauthaspire";

    public static IResult Json<T>(T body, int status = StatusCodes.Status200OK) => new NoStoreJson(JsonSerializer.SerializeToUtf8Bytes(body, ProtocolJson.Options), status, null);

    /// <summary>
    /// Audits a refusal, then answers it. Best effort: the database away costs the record (logged), never the answer.
    /// Attacker-chosen values in <paramref name="refusal"/> are cut with <see cref="Cut"/> by the caller.
    /// </summary>
    public static async Task<IResult> RefusedAsync(IAuditSink audit, ILogger logger, HttpContext http, AuditEvent refusal, ProtocolError error)
    {
        try
        {
            await audit.WriteAsync(refusal with { Outcome = AuditOutcome.Failure, RemoteAddress = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            logger.LogWarning("Could not record a refusal ({Type}): {Reason}", refusal.Type, e.Message);
        }

        return Error(error);
    }

    /// <summary>An attacker-chosen value as the audit trail keeps it: 256 characters at most.</summary>
    public static string? Cut(string? value) => value is { Length: > 256 } ? value[..256] : value;

    public static IResult Error(ProtocolError error) =>
        new NoStoreJson(JsonSerializer.SerializeToUtf8Bytes(error.ToBody(), ProtocolJson.Options), error.StatusCode, error);

    public static IResult Empty() => new NoStoreJson(null, StatusCodes.Status200OK, null);

    /// <summary>A dependency (database, registry, broker) is away: 503 with Retry-After, so the client retries.</summary>
    public static IResult Unavailable() => Error(ProtocolError.TemporarilyUnavailable("The service is temporarily unavailable; retry shortly."));

    /// <summary>
    /// Reads an <c>application/x-www-form-urlencoded</c> body; anything else, a malformed body
    /// or a repeated parameter is an invalid_request.
    /// </summary>
    public static async Task<(RequestParameters? Form, ProtocolError? Error)> ReadFormAsync(HttpContext context)
    {
        var contentType = context.Request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ProtocolError.InvalidRequest("The request body must be application/x-www-form-urlencoded."));
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException or InvalidOperationException)
        {
            return (null, ProtocolError.InvalidRequest("The request body could not be read as a form."));
        }

        var parameters = new RequestParameters(form.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key, kv.Value.ToArray())));
        var check = parameters.Check();
        return check.IsOk ? (parameters, null) : (null, ProtocolError.InvalidRequest(check.Description!));
    }

    private sealed class NoStoreJson(byte[]? body, int status, ProtocolError? error) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = status;
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            if (error?.StatusCode == StatusCodes.Status401Unauthorized)
            {
                response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
            }
            else if (error?.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers.RetryAfter = "2";
            }

            if (body is not null)
            {
                response.ContentType = "application/json";
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body, context.RequestAborted);
            }
            else
            {
                response.ContentLength = 0;
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            }
        }
    }
}
