using Microsoft.AspNetCore.Http.Features;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Guards <c>/api/**</c>: the path canonicalised once (ambiguous forms refused), the bearer token
/// admitted (<see cref="TokenAdmission"/>), the call decided by the admin APIs' rule or the API's
/// scope policy (<see cref="ApiAccessDecider"/>), the client's API limit applied; every refusal
/// answered by <see cref="ApiRefusals"/>. Admitted requests go on with the verified identity in
/// headers, after any such header from outside was removed; a trusted provider's caller also with
/// the edge's signed assertion of it (<see cref="IdentityAssertion"/>), the only form of it the APIs believe.
/// </summary>
public sealed class ApiGate(RequestDelegate next, TokenAdmission admission, ApiAccessDecider access, RateLimits limits, ApiRefusals refusals,
    IdentityAssertionSigner assertions, EdgeSettings settings, EdgeDpop dpop, ApiPolicySnapshot policies, ILogger<ApiGate> logger)
{
    private readonly string _origin = ProtectedResourceMetadata.OriginOf(settings.Issuer);

    public async Task InvokeAsync(HttpContext context)
    {
        // Nobody outside may pose as a verified identity, on any path.
        EdgeIdentity.StripFrom(context.Request.Headers);
        // The admin API's contract and reference page: public, and only what was routed to them.
        if (!context.Request.Path.StartsWithSegments("/api") || PublicApiEndpoint.Chosen(context))
        {
            await next(context);
            return;
        }

        // One reading of the path, for the decision and for the API behind: what is matched is what is forwarded.
        var rawPath = RawPath(context);
        var path = ApiPath.Canonicalize(rawPath, out var problem);
        var admin = ApiPath.IsUnder(path ?? context.Request.Path.Value!, ApiPolicies.AdminPrefix);
        if (path is null)
        {
            await refusals.AmbiguousPathAsync(context, admin, problem);
            return;
        }

        context.Request.Path = new PathString(path);
        context.Request.Method = ApiPolicies.NormalizeMethod(context.Request.Method);
        try
        {
            await GuardAsync(context, rawPath, path, admin);
        }
        catch (Exception e) when (!context.Response.HasStarted && Dependencies.Away(e))
        {
            // A dependency is away: say so, and never let the call through unchecked.
            logger.LogWarning("An API call could not be checked: {Reason}", e.Message);
            await refusals.UnavailableAsync(context, admin);
        }
    }

    private async Task GuardAsync(HttpContext context, string rawPath, string path, bool admin)
    {
        var scheme = DpopToken.Read(context.Request.Headers.Authorization.ToArray(), out var token);
        if (scheme is AuthorizationScheme.Missing or AuthorizationScheme.Malformed)
        {
            await (scheme == AuthorizationScheme.Missing
                ? refusals.MissingTokenAsync(context, admin, await ResourceMetadataAsync(path, admin, context.RequestAborted))
                : refusals.MalformedHeaderAsync(context, admin));
            return;
        }

        var dpopScheme = scheme == AuthorizationScheme.DPoP;
        var (caller, refusal) = await admission.AdmitAsync(token, admin, context.Connection.RemoteIpAddress, context.RequestAborted);
        if (refusal is not null)
        {
            await refusals.InvalidTokenAsync(context, admin, refusal, dpopScheme, await ResourceMetadataAsync(path, admin, context.RequestAborted));
            return;
        }

        // Proof of possession before anything else is told about the token's rights.
        if (dpop.Check(context, token, caller.Confirmation?.Jkt, dpopScheme, rawPath, path, caller.Fapi2) is { } unproven)
        {
            await refusals.UnprovenAsync(context, admin, unproven, caller.Actor);
            return;
        }

        // RFC 8705 §3: a certificate-bound token only from the connection that presents that certificate.
        var certificateBound = caller.Confirmation?.X5tS256 is not null;
        if (MtlsProtocol.Unproven(caller.Confirmation?.X5tS256, EdgeClientCertificate.Of(context)) is { } unbound)
        {
            await refusals.UnprovenAsync(context, admin, new ProofRefusal(StatusCodes.Status401Unauthorized,
                dpopScheme ? DpopChallenge.InvalidToken(unbound) : BearerChallenge.InvalidToken(unbound), OAuthErrorCodes.InvalidToken, unbound), caller.Actor);
            return;
        }

        var (api, decided) = await access.DecideAsync(caller, context.Request.Method, path, admin, context.RequestAborted);
        if (decided is not { } decision)
        {
            await refusals.InvalidTokenAsync(context, admin, "The access token is not for this API (its audience, RFC 8707).", dpopScheme, MetadataUrlOf(api));
            return;
        }

        if (!decision.Allowed)
        {
            await refusals.InsufficientScopeAsync(context, path, admin, decision, caller.Actor, dpopScheme);
            return;
        }

        if (admin && !EdgeRoutes.IsAdminRoute(context.Request.Path))
        {
            await refusals.NoSuchAdminApiAsync(context);
            return;
        }

        var limit = limits.Acquire(RateLimits.ApiPerClient, caller.ClientId);
        if (!limit.Allowed)
        {
            await limits.RefuseAsync(context, limit, caller.ClientId, admin ? RefusalForm.Problem : RefusalForm.OAuthJson);
            return;
        }

        var identity = caller.IdentityWith(decision.Scopes,
            dpopScheme ? EdgeIdentity.DpopBinding : certificateBound ? EdgeIdentity.MtlsBinding : null);
        if (identity.Binding is not null)
        {
            identity = identity with { Method = context.Request.Method, Path = path };
        }

        identity.WriteTo(context.Request.Headers);
        if (caller.Trust is not null || identity.Binding is not null)
        {
            // The API cannot check a provider's token (nor a DPoP proof, already spent here), and
            // holds no secret of ours to trust headers by: it checks this statement of the
            // identity, signed with the edge's key, instead.
            context.Request.Headers[IdentityAssertion.Header] = assertions.For(settings.Audience, identity);
        }

        await next(context);
    }

    /// <summary>
    /// RFC 9728 §5.1: the metadata URL of the API called, for a 401's challenge; null off the APIs with
    /// a resource identifier on this origin, or when the policies cannot be had (the refusal goes out without it).
    /// </summary>
    private async ValueTask<string?> ResourceMetadataAsync(string path, bool admin, CancellationToken cancellationToken)
    {
        if (admin)
        {
            return null;
        }

        try
        {
            return MetadataUrlOf((await policies.GetAsync(cancellationToken)).Set.Index.Find(path));
        }
        catch (Exception e) when (Dependencies.Away(e) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private string? MetadataUrlOf(ApiPolicy? api) => api?.Resource is { } resource ? ProtectedResourceMetadata.UrlOf(resource, _origin) : null;

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
}
