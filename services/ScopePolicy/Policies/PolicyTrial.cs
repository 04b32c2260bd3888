using OAuthAspire.Protocol.Policies;
using OAuthAspire.ScopePolicy.Scopes;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.ScopePolicy.Policies;

/// <summary>A call to try against the API policies: what the edge would see of it.</summary>
public sealed record PolicyTrialDto(string? Method, string? Path, string[]? Scopes);

/// <summary>
/// The edge's decision on that call. <c>scopesThatCount</c>: the scopes given that exist and are active
/// (a client's own allowed scopes and the token's audience, RFC 8707, are the edge's further checks).
/// </summary>
public sealed record PolicyTrialResultDto(bool Allowed, string? Policy, string? BasePath, string[] RequiredScopes, string[] ScopesThatCount, string Reason);

/// <summary>
/// <c>POST /api/admin/api-policies/try</c>: "would this call pass?", answered by the very code the
/// edge decides with (<see cref="ApiPolicies"/>, after <see cref="ApiPath.Canonicalize"/>), over the policies and active scopes stored now.
/// </summary>
public static class PolicyTrial
{
    public static RouteGroupBuilder MapPolicyTrial(this RouteGroupBuilder policies)
    {
        policies.MapPost("/try", TryAsync)
            .WithSummary("Decide a call as the edge would: method, path and scopes in; the decision, the policy and the rule's scopes out")
            .Produces<PolicyTrialResultDto>().ProducesValidationProblem();
        return policies;
    }

    private static async Task<IResult> TryAsync(PolicyTrialDto body, PolicyStore store, ScopeStore scopes, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var method = ApiPolicies.NormalizeMethod(body.Method ?? "");
        validation.Require(ApiPolicies.Methods.Contains(method), "method", $"must be one of {string.Join(", ", ApiPolicies.Methods)}");
        var path = ApiPath.Canonicalize(body.Path ?? "", out var problem);
        if (path is null)
        {
            validation.Add("path", problem ?? "is required");
        }
        else
        {
            validation.Require(ApiPath.IsUnder(path, "/api"), "path", "must be an API path, under /api");
            validation.Require(!ApiPath.IsUnder(path, ApiPolicies.AdminPrefix), "path",
                "the admin APIs are decided by their own rule (admin.api and an admin role), never by a policy");
        }

        if (!validation.IsValid)
        {
            return TypedResults.ValidationProblem(validation.Errors);
        }

        var active = (await scopes.ListAsync(includeInactive: false, cancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var counted = (body.Scopes ?? []).Where(active.Contains).Distinct(StringComparer.Ordinal).ToArray();
        var policies = await store.ListAsync(cancellationToken);
        var api = ApiPolicies.Find(policies, path!);
        var decision = ApiPolicies.Decide(api, method, path!, counted.ToHashSet(StringComparer.Ordinal));
        return TypedResults.Ok(new PolicyTrialResultDto(decision.Allowed, decision.Policy, api?.BasePath, [.. decision.RequiredScopes], counted, decision.Reason));
    }
}
