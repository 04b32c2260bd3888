namespace OAuthAspire.Contracts.Grpc.ScopePolicy;

/// <summary>
/// scope-policy's API policy message as the protocol core's record. Compiled into each service that
/// calls scope-policy for policies (each compiles its own gRPC client, so the message type is its own).
/// </summary>
internal static class ApiPolicyMessages
{
    public static Protocol.Policies.ApiPolicy ToPolicy(this ApiPolicy message) =>
        new(message.Name, message.BasePath,
            message.Rules.Select(r => new Protocol.Policies.ApiRule(r.Methods.ToArray(), r.Resource, r.Scopes.ToArray())).ToArray(),
            message.Resource.Length == 0 ? null : message.Resource, message.AcceptDefaultAudience);

    /// <summary>The call <c>ApiResourceCatalog</c> loads from.</summary>
    public static async Task<IEnumerable<Protocol.Policies.ApiPolicy>> ListPoliciesAsync(this ScopePolicy.ScopePolicyClient client,
        CancellationToken cancellationToken) =>
        (await client.ListApiPoliciesAsync(new ListApiPoliciesRequest(), cancellationToken: cancellationToken)).Policies.Select(ToPolicy);
}
