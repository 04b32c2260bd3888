using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// Whether an admitted caller may make a call: the admin APIs by their own rule, every other API by
/// its scope policy (<see cref="ApiPolicies.Decide"/>), both from the scopes that count only.
/// </summary>
public static class ApiAccess
{
    /// <summary>
    /// ServiceNow semantics: taking a scope from a client, or deactivating the scope, disarms the
    /// client's live tokens. So only the granted scopes still allowed to the client and still active count.
    /// </summary>
    /// <param name="granted">The token's scopes, or for a trusted provider's token the trust's.</param>
    /// <param name="clientScopes">The client's allowed scopes now; null when no client of ours limits them (a provider's token).</param>
    /// <param name="activeScopes">The scopes that exist and are active now.</param>
    public static string[] ScopesThatCount(IReadOnlyList<string> granted, IEnumerable<string>? clientScopes, IReadOnlySet<string> activeScopes)
    {
        // Counted first, then copied: one exact array, and no closure, on every API call.
        var count = 0;
        for (var i = 0; i < granted.Count; i++)
        {
            if (Counts(granted[i]))
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        var scopes = new string[count];
        for (int i = 0, kept = 0; kept < count; i++)
        {
            if (Counts(granted[i]))
            {
                scopes[kept++] = granted[i];
            }
        }

        return scopes;

        bool Counts(string scope) => activeScopes.Contains(scope) && (clientScopes is null || clientScopes.Contains(scope));
    }

    /// <param name="policies">The API policies in force.</param>
    /// <param name="method">The normalised method (<see cref="ApiPolicies.NormalizeMethod"/>).</param>
    /// <param name="path">The canonical path (<see cref="ApiPath.Canonicalize"/>).</param>
    /// <param name="adminApi">Whether the path is under <see cref="ApiPolicies.AdminPrefix"/>.</param>
    /// <param name="adminRule">The admin APIs' rule.</param>
    /// <param name="scopes">The scopes that count (<see cref="ScopesThatCount"/>).</param>
    /// <param name="roles">The caller's roles.</param>
    public static ApiAccessDecision Decide(IReadOnlyCollection<ApiPolicy> policies, string method, string path, bool adminApi, AdminRule adminRule,
        string[] scopes, IReadOnlyList<string> roles) =>
        Decide(adminApi ? null : ApiPolicies.Find(policies, path), method, path, adminApi, adminRule, scopes, roles);

    /// <param name="api">The policy of the API called (<see cref="ApiPolicies.Find"/>), found once by the caller; null on the admin APIs or when it has none.</param>
    public static ApiAccessDecision Decide(ApiPolicy? api, string method, string path, bool adminApi, AdminRule adminRule,
        string[] scopes, IReadOnlyList<string> roles)
    {
        if (adminApi)
        {
            // Never a policy's decision: useraccount passes policies, not this rule.
            return adminRule.Admits(scopes, roles)
                ? new ApiAccessDecision(scopes, null, null, null)
                : new ApiAccessDecision(scopes, null, BearerChallenge.InsufficientScope([adminRule.Scope]),
                    adminRule.Refusal);
        }

        var policy = ApiPolicies.Decide(api, method, path, scopes.ToHashSet(StringComparer.Ordinal));
        if (policy.Allowed)
        {
            return new ApiAccessDecision(scopes, policy, null, null);
        }

        var description = policy.RequiredScopes.Count == 0
            ? "No rule of this API's policy allows this call."
            : $"This call needs one of these scopes: {string.Join(' ', policy.RequiredScopes)}.";
        return new ApiAccessDecision(scopes, policy, BearerChallenge.InsufficientScope(policy.RequiredScopes), description);
    }
}
