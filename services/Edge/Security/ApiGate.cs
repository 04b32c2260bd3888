using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Guards <c>/api/**</c>: the path canonicalised once (ambiguous forms refused), a valid access
/// token of this issuer (RFC 6750), not revoked, of an active client; then the scopes that count
/// (the token's, within the client's current allowed scopes and the active scopes) must satisfy
/// <c>/api/admin/**</c>'s own rule (<c>admin.api</c> and an admin role) or the API's scope policy.
/// Admitted requests go on with the verified identity in headers, after any such header from
/// outside was removed; a trusted provider's caller also with the edge's signed assertion of it
/// (<see cref="IdentityAssertion"/>), the only form of it the APIs believe.
/// </summary>
public sealed class ApiGate(RequestDelegate next, EdgeSettings settings, JwksCache jwks, ValidatedTokens validated, TimeProvider time,
    RevocationList revocations, CutOffs cutOffs, ClientStatus clients, ApiPolicySnapshot policies, FederatedTokens federated, RateLimits limits, IAuditSink audit,
    IdentityAssertionSigner assertions, ILogger<ApiGate> logger)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly AccessTokenValidator _validator = new();

    public async Task InvokeAsync(HttpContext context)
    {
        // Nobody outside may pose as a verified identity, on any path.
        EdgeIdentity.StripFrom(context.Request.Headers);
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        // One reading of the path, for the decision and for the API behind: what is matched is what is forwarded.
        var path = ApiPath.Canonicalize(RawPath(context), out var problem);
        var admin = ApiPath.IsUnder(path ?? context.Request.Path.Value!, ApiPolicies.AdminPrefix);
        if (path is null)
        {
            await RefuseAsync(context, admin, 400, null, OAuthErrorCodes.InvalidRequest, $"The request path is ambiguous: {problem}.");
            return;
        }

        context.Request.Path = new PathString(path);
        context.Request.Method = ApiPolicies.NormalizeMethod(context.Request.Method);
        try
        {
            await GuardAsync(context, path, admin);
        }
        catch (RpcException e) when (!context.Response.HasStarted && Dependencies.Away(e))
        {
            // A dependency is away: say so, and never let the call through unchecked.
            logger.LogWarning("An API call could not be checked: {Status}", e.StatusCode);
            context.Response.Headers.RetryAfter = "1";
            const string description = "The request cannot be checked right now; try again shortly.";
            await (admin
                ? WriteAsync(context, 503, null, Problem(503, description), "application/problem+json")
                : WriteAsync(context, 503, null, new OAuthError("temporarily_unavailable", description), "application/json"));
        }
    }

    private async Task GuardAsync(HttpContext context, string path, bool admin)
    {
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

        // A token validated before under the same keys skips parsing and the signature check;
        // revocation and the client's state are checked on every call all the same.
        var keys = await jwks.KeysAsync(context.RequestAborted);
        if (validated.Find(token, keys, time.GetUtcNow(), ClockSkew) is not { } known)
        {
            JsonWebToken jwt;
            try
            {
                jwt = new JsonWebToken(token);
            }
            catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
            {
                await RefuseInvalidAsync(context, admin, "The access token is invalid.");
                return;
            }

            // Ours, or a trusted provider's (third-party ID token flow): told apart by the issuer.
            if (jwt.Issuer != settings.Issuer)
            {
                await GuardFederatedAsync(context, path, admin, token);
                return;
            }

            var (checkedContent, invalid) = await ValidateAsync(token, jwt, keys, context.RequestAborted);
            if (checkedContent is null)
            {
                await RefuseInvalidAsync(context, admin, invalid);
                return;
            }

            known = checkedContent;
        }

        var (content, client, failure) = await AdmitAsync(known, context.RequestAborted);
        if (content is null)
        {
            await RefuseInvalidAsync(context, admin, failure);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var (set, cached) = await policies.GetAsync(context.RequestAborted);
        // ServiceNow semantics: taking a scope from a client (or deactivating it) disarms its live tokens.
        var scopes = content.Scopes.Where(s => client!.Scopes.Contains(s) && set.ActiveScopes.Contains(s)).ToArray();
        if (admin)
        {
            if (!AdminApi.IsAdmin(scopes, content.Roles))
            {
                await RefuseAsync(context, admin, 403, $"Bearer error=\"insufficient_scope\", scope=\"{AdminApi.AdminScope}\"",
                    OAuthErrorCodes.InsufficientScope, "Admin APIs need the admin.api scope and an administrator role.", Actor(content));
                return;
            }

            if (!EdgeRoutes.IsAdminRoute(context.Request.Path))
            {
                await WriteAsync(context, 404, null, Problem(404, "No such admin API."), "application/problem+json");
                return;
            }
        }
        else if (!await DecideAsync(context, path, set, cached, started, scopes, Actor(content)))
        {
            return;
        }

        if (await OverLimitAsync(context, content.ClientId, admin))
        {
            return;
        }

        new EdgeIdentity(content.Subject, content.UserName, content.ClientId, scopes, content.Roles).WriteTo(context.Request.Headers);
        await next(context);
    }

    /// <summary>
    /// A trusted provider's token: federation-trust validates and maps it (remembered until it
    /// expires), then the trust's scopes go through the same API policies. Never on the admin APIs.
    /// </summary>
    private async Task GuardFederatedAsync(HttpContext context, string path, bool admin, string token)
    {
        if (admin)
        {
            await RefuseInvalidAsync(context, admin, "Only this issuer's tokens are accepted on the admin APIs.");
            return;
        }

        var identity = await federated.ValidateAsync(token, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
        if (identity is null)
        {
            await RefuseInvalidAsync(context, admin, "The access token is invalid.");
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var (set, cached) = await policies.GetAsync(context.RequestAborted);
        var scopes = identity.Scopes.Where(set.ActiveScopes.Contains).ToArray();
        if (await DecideAsync(context, path, set, cached, started, scopes, new AuditActor(identity.UserSysId, identity.UserName, identity.ClientId))
            && !await OverLimitAsync(context, identity.ClientId, admin))
        {
            var forwarded = new EdgeIdentity(identity.UserSysId, identity.UserName, identity.ClientId, scopes, identity.Roles, identity.Trust);
            forwarded.WriteTo(context.Request.Headers);
            // The API cannot check a provider's token, and holds no secret of ours to trust headers
            // by: it checks this statement of the identity, signed with the edge's key, instead.
            context.Request.Headers[IdentityAssertion.Header] = assertions.For(settings.Audience, forwarded);
            await next(context);
        }
    }

    /// <summary>The API policy's decision; false when the call was refused (and answered).</summary>
    private async Task<bool> DecideAsync(HttpContext context, string path, ApiPolicySet set, bool cached, long started, string[] scopes, AuditActor actor)
    {
        var decision = ApiPolicies.Decide(set.Policies, context.Request.Method, path, scopes.ToHashSet(StringComparer.Ordinal));
        EdgeMetrics.RecordDecision(started, cached);
        if (!decision.Allowed)
        {
            await DenyAsync(context, path, decision, actor);
        }

        return decision.Allowed;
    }

    private Task RefuseInvalidAsync(HttpContext context, bool admin, string description) =>
        RefuseAsync(context, admin, 401, $"Bearer error=\"invalid_token\", error_description=\"{description}\"", OAuthErrorCodes.InvalidToken, description);

    /// <summary>403 insufficient_scope naming the scopes that would pass (RFC 6750 §3.1), audited.</summary>
    private async Task DenyAsync(HttpContext context, string path, ApiDecision decision, AuditActor actor)
    {
        var required = string.Join(' ', decision.RequiredScopes);
        var description = decision.RequiredScopes.Count == 0
            ? "No rule of this API's policy allows this call."
            : $"This call needs one of these scopes: {required}.";
        await RecordAsync(context, new ApiAccessDenied(context.Request.Method, path, decision.RequiredScopes, decision.Policy)
        {
            Actor = actor,
            Outcome = AuditOutcome.Failure,
            Reason = decision.Reason,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
        });
        var challenge = decision.RequiredScopes.Count == 0
            ? "Bearer error=\"insufficient_scope\""
            : $"Bearer error=\"insufficient_scope\", scope=\"{required}\"";
        await WriteAsync(context, 403, challenge, new OAuthError(OAuthErrorCodes.InsufficientScope, description), "application/json");
    }

    /// <summary>The path as the caller sent it (before the server decoded it), without the query.</summary>
    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.ToUriComponent();
        if (!raw.StartsWith('/'))
        {
            // Absolute form (http://host/path): the path starts at the first slash after the authority.
            var scheme = raw.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : raw.IndexOf('/', scheme + 3);
            raw = slash < 0 ? "/" : raw[slash..];
        }

        var query = raw.IndexOfAny(['?', '#']);
        return query < 0 ? raw : raw[..query];
    }

    /// <summary>Checks what the token states (signature, type, issuer, audience, lifetime) and remembers it when valid.</summary>
    private async Task<(AccessTokenContent? Content, string Failure)> ValidateAsync(string text, JsonWebToken token, IReadOnlyList<SecurityKey> keys,
        CancellationToken cancellationToken)
    {
        var result = await _validator.ValidateAsync(token, settings.Issuer, settings.Audience, keys, ClockSkew);
        if (result.Failure == TokenFailure.UnknownKey && await jwks.RefreshForAsync(token.Kid, cancellationToken))
        {
            keys = await jwks.KeysAsync(cancellationToken);
            result = await _validator.ValidateAsync(token, settings.Issuer, settings.Audience, keys, ClockSkew);
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

        validated.Add(text, keys, result.Token!);
        return (result.Token, "");
    }

    /// <summary>Refuses a valid token that was revoked or whose client is no longer active.</summary>
    private async Task<(AccessTokenContent? Content, Client? Client, string Failure)> AdmitAsync(AccessTokenContent token, CancellationToken cancellationToken)
    {
        if (revocations.IsRevoked(token.Jti))
        {
            return (null, null, "The access token was revoked.");
        }

        if (cutOffs.Refuses(token))
        {
            return (null, null, "The access token was issued before its user's or client's access was withdrawn.");
        }

        return await clients.GetAsync(token.ClientId, cancellationToken) is { Active: true } client
            ? (token, client, "")
            : (null, null, "The access token's client is not active.");
    }

    private static AuditActor Actor(AccessTokenContent token) =>
        new(token.Subject == token.ClientId ? null : token.Subject, token.UserName, token.ClientId);

    /// <summary>Applies the per-client API limit; true when the call was refused (and answered).</summary>
    private async Task<bool> OverLimitAsync(HttpContext context, string clientId, bool admin)
    {
        var verdict = limits.Acquire(RateLimits.ApiPerClient, clientId);
        if (verdict.Allowed)
        {
            return false;
        }

        await limits.RefuseAsync(context, verdict, clientId, admin ? RefusalForm.Problem : RefusalForm.OAuthJson);
        return true;
    }

    private async Task RecordAsync(HttpContext context, AuditEvent auditEvent)
    {
        try
        {
            await audit.WriteAsync(auditEvent, context.RequestAborted);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not record a refused API call: {Reason}", e.Message);
        }
    }

    private async Task RefuseAsync(HttpContext context, bool admin, int status, string? challenge, string? error, string description,
        AuditActor? actor = null)
    {
        if (admin)
        {
            await RecordAsync(context, new AdminAccessRefused(context.Request.Method, context.Request.Path.Value ?? "", status)
            {
                Actor = actor ?? AuditActor.None,
                Outcome = AuditOutcome.Failure,
                Reason = description,
                RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            });
            await WriteAsync(context, status, challenge, Problem(status, description), "application/problem+json");
            return;
        }

        await WriteAsync(context, status, challenge, error is null ? null : new OAuthError(error, description), "application/json");
    }

    private static object Problem(int status, string detail) => new
    {
        type = $"https://tools.ietf.org/html/rfc9110#section-15.{status switch { 400 => "5.1", 401 => "5.2", 403 => "5.4", 503 => "6.4", _ => "5.5" }}",
        title = status switch { 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 503 => "Service Unavailable", _ => "Not Found" },
        status,
        detail,
    };

    private static async Task WriteAsync(HttpContext context, int status, string? challenge, object? body, string contentType)
    {
        if (!await EdgeRefusal.DrainAsync(context, status))
        {
            context.Response.Headers.Connection = "close";
        }

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
