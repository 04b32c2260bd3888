using Microsoft.AspNetCore.WebUtilities;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// The API gate's refusals, answered by the edge's one refusal writer (<see cref="EdgeRefusal"/>):
/// ProblemDetails on the admin APIs, where every refusal is audited (<see cref="AdminAccessRefused"/>),
/// RFC 6749 error JSON on the others; with the RFC 6750 challenge when the token or its scopes are at fault.
/// </summary>
public sealed class ApiRefusals(IAuditSink audit, ILogger<ApiRefusals> logger)
{
    private const string Unchecked = "The request cannot be checked right now; try again shortly.";

    public Task AmbiguousPathAsync(HttpContext context, bool adminApi, string? problem) =>
        RefuseAsync(context, adminApi, StatusCodes.Status400BadRequest, null, OAuthErrorCodes.InvalidRequest, $"The request path is ambiguous: {problem}.");

    /// <summary>
    /// 401 with the bare challenges of both schemes (RFC 6750 §3.1, RFC 9449 §7.1), and off the admin
    /// APIs no body: a caller that sent no token is told no error.
    /// </summary>
    /// <param name="metadataUrl">The API's protected resource metadata (RFC 9728 §5.1), named in both challenges; null when it has none.</param>
    public Task MissingTokenAsync(HttpContext context, bool adminApi, string? metadataUrl) =>
        RefuseAsync(context, adminApi, StatusCodes.Status401Unauthorized,
            $"{BearerChallenge.WithResourceMetadata(BearerChallenge.Missing, metadataUrl)}, {BearerChallenge.WithResourceMetadata(DpopChallenge.Missing, metadataUrl)}",
            null, "An access token is required.");

    public Task MalformedHeaderAsync(HttpContext context, bool adminApi) =>
        RefuseAsync(context, adminApi, StatusCodes.Status400BadRequest, BearerChallenge.InvalidRequest, OAuthErrorCodes.InvalidRequest,
            "The Authorization header is malformed.");

    /// <param name="dpopScheme">The token came with the DPoP scheme: the challenge is in that scheme (RFC 9449 §7.1).</param>
    public Task InvalidTokenAsync(HttpContext context, bool adminApi, string description, bool dpopScheme, string? metadataUrl = null) =>
        RefuseAsync(context, adminApi, StatusCodes.Status401Unauthorized,
            BearerChallenge.WithResourceMetadata(dpopScheme ? DpopChallenge.InvalidToken(description) : BearerChallenge.InvalidToken(description), metadataUrl),
            OAuthErrorCodes.InvalidToken, description);

    /// <summary>The token's proof of possession is missing or wrong (<see cref="EdgeDpop"/>).</summary>
    public Task UnprovenAsync(HttpContext context, bool adminApi, ProofRefusal refusal, AuditActor actor) =>
        RefuseAsync(context, adminApi, refusal.Status, refusal.Challenge, refusal.Error, refusal.Description, actor);

    /// <summary>403 insufficient_scope naming the scopes that would pass (RFC 6750 §3.1), audited.</summary>
    public async Task InsufficientScopeAsync(HttpContext context, string path, bool adminApi, ApiAccessDecision decision, AuditActor actor, bool dpopScheme)
    {
        if (dpopScheme)
        {
            decision = decision with { Challenge = DpopChallenge.FromBearer(decision.Challenge!) };
        }

        if (adminApi || decision.Policy is not { } policy)
        {
            await RefuseAsync(context, adminApi, StatusCodes.Status403Forbidden, decision.Challenge, OAuthErrorCodes.InsufficientScope, decision.Description!, actor);
            return;
        }

        await RecordAsync(context, new ApiAccessDenied(context.Request.Method, path, policy.RequiredScopes, policy.Policy)
        {
            Actor = actor,
            Outcome = AuditOutcome.Failure,
            Reason = policy.Reason,
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
        });
        await WriteAsync(context, adminApi, StatusCodes.Status403Forbidden, decision.Challenge, OAuthErrorCodes.InsufficientScope, decision.Description!);
    }

    /// <summary>An admin path no service serves: never forwarded, so never to the sample API behind <c>/api/**</c>.</summary>
    public Task NoSuchAdminApiAsync(HttpContext context) =>
        WriteAsync(context, adminApi: true, StatusCodes.Status404NotFound, null, OAuthErrorCodes.InvalidRequest, "No such admin API.");

    /// <summary>503 with Retry-After: a dependency is away, and no call goes through unchecked.</summary>
    public Task UnavailableAsync(HttpContext context, bool adminApi) =>
        EdgeRefusal.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "1", Form(adminApi), ReasonPhrases.GetReasonPhrase(StatusCodes.Status503ServiceUnavailable),
            Unchecked, Unchecked);

    private async Task RefuseAsync(HttpContext context, bool adminApi, int status, string? challenge, string? error, string description, AuditActor? actor = null)
    {
        if (adminApi)
        {
            await RecordAsync(context, new AdminAccessRefused(context.Request.Method, context.Request.Path.Value ?? "", status)
            {
                Actor = actor ?? AuditActor.None,
                Outcome = AuditOutcome.Failure,
                Reason = description,
                RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            });
        }

        await WriteAsync(context, adminApi, status, challenge, error, description);
    }

    /// <param name="error">The RFC 6749 error code off the admin APIs; null for no body.</param>
    private static Task WriteAsync(HttpContext context, bool adminApi, int status, string? challenge, string? error, string description) =>
        EdgeRefusal.WriteAsync(context, status, null, Form(adminApi), ReasonPhrases.GetReasonPhrase(status), description, description, error, challenge);

    private static RefusalForm Form(bool adminApi) => adminApi ? RefusalForm.Problem : RefusalForm.OAuthJson;

    private async Task RecordAsync(HttpContext context, AuditEvent auditEvent)
    {
        try
        {
            await audit.WriteAsync(auditEvent, context.RequestAborted);
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            logger.LogWarning("Could not record a refused API call: {Reason}", e.Message);
        }
    }
}
