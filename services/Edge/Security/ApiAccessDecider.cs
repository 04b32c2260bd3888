using System.Diagnostics;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Decides an admitted caller's call from the current policy set (<see cref="ApiPolicySnapshot"/>):
/// the scopes that count, then the admin APIs' own rule or the API's scope policy (<see cref="ApiAccess"/>).
/// </summary>
public sealed class ApiAccessDecider(ApiPolicySnapshot policies)
{
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
