using System.Diagnostics;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Decides an admitted caller's call from the current policy set (<see cref="ApiPolicySnapshot"/>),
/// with the API called found once: whether the token is for that API (RFC 8707, <see cref="ResourceIndicators.Admits"/>),
/// then the scopes that count and the admin APIs' own rule or the API's scope policy (<see cref="ApiAccess"/>).
/// </summary>
public sealed class ApiAccessDecider(ApiPolicySnapshot policies, EdgeSettings settings)
{
    private static readonly AdminRule Administrators = new(AdminApi.AdminScope, AdminApi.IsAdmin);

    /// <summary>The audit query API answers auditors alone (the audit-log service checks again).</summary>
    private static readonly AdminRule Auditors = new(AdminApi.AdminScope, AdminApi.IsAuditor, "the auditor role");

    /// <param name="method">The normalised method.</param>
    /// <param name="path">The canonical path.</param>
    /// <param name="adminApi">Whether the path is under the admin APIs.</param>
    /// <returns>
    /// The API called (null on the admin APIs or where no policy is), and the decision; no decision when
    /// the token is not for that API. A provider's token has no audience of ours: its trust decided.
    /// </returns>
    public async ValueTask<(ApiPolicy? Api, ApiAccessDecision? Decision)> DecideAsync(AdmittedCaller caller, string method, string path, bool adminApi,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (set, cached) = await policies.GetAsync(cancellationToken);
        var api = adminApi ? null : set.Index.Find(path);
        if (caller.Audience is { } audience && !ResourceIndicators.Admits(api, audience, settings.Audience))
        {
            return (api, null);
        }

        var scopes = ApiAccess.ScopesThatCount(caller.GrantedScopes, caller.ClientScopes, set.ActiveScopes);
        var rule = adminApi && AdminApi.IsAuditPath(path) ? Auditors : Administrators;
        var decision = ApiAccess.Decide(api, method, path, adminApi, rule, scopes, caller.Roles);
        if (!adminApi)
        {
            // The metric is the cost of a scope-policy decision; the admin APIs' rule is none.
            EdgeMetrics.RecordDecision(started, cached);
        }

        return (api, decision);
    }
}
