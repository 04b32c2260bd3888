using BenchmarkDotNet.Attributes;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Bench.Micro;

/// <summary>
/// What the edge adds to an API call once the policy set is in memory: canonicalising the raw
/// path and deciding it, against a realistic catalogue (40 APIs of 8 rules each).
/// </summary>
[MemoryDiagnoser]
public class ApiDecisionBenchmarks
{
    private readonly IReadOnlyList<ApiPolicy> _policies = Enumerable.Range(0, 40)
        .Select(i => new ApiPolicy($"api{i}", $"/api/x{i}/v1", Enumerable.Range(0, 8)
            .Select(r => new ApiRule(r % 2 == 0 ? ["GET"] : [], $"/api/x{i}/v1/res{r}/*", [$"scope{i}.{r}"]))
            .ToArray()))
        .Append(new ApiPolicy("table", "/api/now/table",
        [
            new ApiRule(["GET"], "/api/now/table/incident", ["incident.read"]),
            new ApiRule(["GET"], "/api/now/table/incident/*", ["incident.read"]),
            new ApiRule(["POST", "PATCH"], "/api/now/table/incident/**", ["incident.write"]),
            new ApiRule([], "/api/now/table/*", ["table.all"]),
        ]))
        .ToArray();

    private readonly IReadOnlySet<string> _scopes = new HashSet<string>(StringComparer.Ordinal) { "openid", "incident.read" };

    [Benchmark(Baseline = true)]
    public string? Canonicalize() => ApiPath.Canonicalize("/api/now/table/incident/0123456789abcdef", out _);

    [Benchmark]
    public bool CanonicalizeAndDecide()
    {
        var path = ApiPath.Canonicalize("/api/now/table/incident/0123456789abcdef", out _)!;
        return ApiPolicies.Decide(_policies, "GET", path, _scopes).Allowed;
    }

    [Benchmark]
    public bool CanonicalizeAndDecideOpenApi()
    {
        var path = ApiPath.Canonicalize("/api/sn_sc/v1/cart/items", out _)!;
        return ApiPolicies.Decide(_policies, "GET", path, _scopes).Allowed;
    }
}
