using System.Text.Json;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Guards <c>/api/**</c>: a valid access token of this issuer (RFC 6750), not revoked, of an active
/// client; <c>/api/admin/**</c> also needs <c>admin.api</c> and an admin role. Admitted requests go
/// on with the verified identity in headers, after any such header from outside was removed.
/// </summary>
public sealed class ApiGate(RequestDelegate next, EdgeSettings settings, JwksCache jwks, RevocationList revocations, ClientStatus clients,
    IAuditSink audit, ILogger<ApiGate> logger)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly AccessTokenValidator _validator = new();

    public async Task InvokeAsync(HttpContext context)
    {
        // Nobody outside may pose as a verified identity, on any path.
        EdgeIdentity.StripFrom(context.Request.Headers);
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        var admin = path.StartsWithSegments("/api/admin");
        var header = BearerToken.Read(context.Request.Headers.Authorization.ToArray(), out var token);
        if (header == BearerHeader.Missing)
        {
            await RefuseAsync(context, admin, 401, "Bearer", null, "An access token is required.");
            return;
        }

        if (header == BearerHeader.Malformed)
        {
            await RefuseAsync(context, admin, 400, "Bearer error=\"invalid_request\"", OAuthErrorCodes.InvalidRequest, "The Authorization header is malformed.");
            return;
        }

        var (content, failure) = await ValidateAsync(token, context.RequestAborted);
        if (content is null)
        {
            await RefuseAsync(context, admin, 401, $"Bearer error=\"invalid_token\", error_description=\"{failure}\"", OAuthErrorCodes.InvalidToken, failure);
            return;
        }

        if (admin && !AdminApi.IsAdmin(content.Scopes, content.Roles))
        {
            await RefuseAsync(context, admin, 403, $"Bearer error=\"insufficient_scope\", scope=\"{AdminApi.AdminScope}\"",
                OAuthErrorCodes.InsufficientScope, "Admin APIs need the admin.api scope and an administrator role.", content);
            return;
        }

        if (admin && !EdgeRoutes.IsAdminRoute(path))
        {
            await WriteAsync(context, 404, null, Problem(404, "No such admin API."), "application/problem+json");
            return;
        }

        new EdgeIdentity(content.Subject, content.UserName, content.ClientId, content.Scopes, content.Roles).WriteTo(context.Request.Headers);
        await next(context);
    }

    private async Task<(AccessTokenContent? Content, string Failure)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var result = await _validator.ValidateAsync(token, settings.Issuer, settings.Audience, await jwks.KeysAsync(cancellationToken), ClockSkew);
        if (result.Failure == TokenFailure.UnknownKey && await jwks.RefreshAsync(force: false, cancellationToken))
        {
            result = await _validator.ValidateAsync(token, settings.Issuer, settings.Audience, await jwks.KeysAsync(cancellationToken), ClockSkew);
        }

        if (!result.IsValid)
        {
            return (null, result.Failure switch
            {
                TokenFailure.Expired => "The access token expired.",
                TokenFailure.WrongType => "The token is not an access token.",
                _ => "The access token is invalid.",
            });
        }

        if (revocations.IsRevoked(result.Token!.Jti))
        {
            return (null, "The access token was revoked.");
        }

        return await clients.GetAsync(result.Token.ClientId, cancellationToken) is { Active: true }
            ? (result.Token, "")
            : (null, "The access token's client is not active.");
    }

    private async Task RefuseAsync(HttpContext context, bool admin, int status, string challenge, string? error, string description,
        AccessTokenContent? token = null)
    {
        if (admin)
        {
            try
            {
                await audit.WriteAsync(new AdminAccessRefused(context.Request.Method, context.Request.Path.Value ?? "", status)
                {
                    Actor = token is null ? AuditActor.None : new AuditActor(token.Subject, token.UserName, token.ClientId),
                    Outcome = AuditOutcome.Failure,
                    Reason = description,
                    RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
                }, context.RequestAborted);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not record a refused admin call: {Reason}", e.Message);
            }

            await WriteAsync(context, status, challenge, Problem(status, description), "application/problem+json");
            return;
        }

        await WriteAsync(context, status, challenge, error is null ? null : new OAuthError(error, description), "application/json");
    }

    private static object Problem(int status, string detail) => new
    {
        type = $"https://tools.ietf.org/html/rfc9110#section-15.{(status == 400 ? "5.1" : status == 401 ? "5.2" : status == 403 ? "5.4" : "5.5")}",
        title = status switch { 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", _ => "Not Found" },
        status,
        detail,
    };

    private static async Task WriteAsync(HttpContext context, int status, string? challenge, object? body, string contentType)
    {
        context.Response.StatusCode = status;
        if (challenge is not null)
        {
            context.Response.Headers.WWWAuthenticate = challenge;
        }

        context.Response.Headers.CacheControl = "no-store";
        if (body is not null)
        {
            context.Response.ContentType = contentType;
            await JsonSerializer.SerializeAsync(context.Response.Body, body, body.GetType(), ProtocolJson.Options, context.RequestAborted);
        }
    }
}
