using System.Diagnostics;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Resources;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Decides an admitted caller's call from the current policy set (<see cref="ApiPolicySnapshot"/>):
/// the scopes that count, then the admin APIs' own rule or the API's scope policy (<see cref="ApiAccess"/>).
/// </summary>
public sealed class ApiAccessDecider(ApiPolicySnapshot policies, EdgeSettings settings)
{
    /// <summary>
    /// RFC 8707: whether the token is for the API called (<see cref="ResourceIndicators.Admits"/>): an
    /// API's resource identifier is good only there. A provider's token has no audience of ours: its trust decided.
    /// </summary>
    public async ValueTask<bool> IsForAsync(AdmittedCaller caller, string path, bool adminApi, CancellationToken cancellationToken)
    {
        if (caller.Audience is not { } audience)
        {
            return true;
        }

        var (set, _) = await policies.GetAsync(cancellationToken);
        return ResourceIndicators.Admits(adminApi ? null : ApiPolicies.Find(set.Policies, path), audience, settings.Audience);
    }

    private static readonly AdminRule Administrators = new(AdminApi.AdminScope, AdminApi.IsAdmin);

    /// <param name="method">The normalised method.</param>
    /// <param name="path">The canonical path.</param>
    /// <param name="adminApi">Whether the path is under the admin APIs.</param>
    public async ValueTask<ApiAccessDecision> DecideAsync(AdmittedCaller caller, string method, string path, bool adminApi, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (set, cached) = await policies.GetAsync(cancellationToken);
        var scopes = ApiAccess.ScopesThatCount(caller.GrantedScopes, caller.ClientScopes, set.ActiveScopes);
        var decision = ApiAccess.Decide(set.Policies, method, path, adminApi, Administrators, scopes, caller.Roles);
        if (!adminApi)
        {
            // The metric is the cost of a scope-policy decision; the admin APIs' rule is none.
            EdgeMetrics.RecordDecision(started, cached);
        }

        return decision;
    }
}
