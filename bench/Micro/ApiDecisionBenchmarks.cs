using BenchmarkDotNet.Attributes;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Bench.Micro;

/// <summary>
/// What the edge adds to an API call once the policy set is in memory: canonicalising the raw path,
/// finding its API (<see cref="ApiPolicyIndex"/>) and deciding it (<see cref="ApiRuleTree"/>), as the
/// catalogue grows from 10 to 1,000 APIs of 10 rules each (100 to 10,000 rules), against a scan of
/// every policy and rule as the edge did before issue 25.
/// </summary>
[MemoryDiagnoser]
public class ApiDecisionBenchmarks
{
    private readonly IReadOnlySet<string> _scopes = new HashSet<string>(StringComparer.Ordinal) { "openid", "incident.read" };
    private ApiPolicy[] _policies = [];
    private ApiPolicyIndex _index = null!;

    /// <summary>APIs in the catalogue (10 rules each) besides the table API.</summary>
    [Params(10, 100, 1000)]
    public int Apis { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _policies = Enumerable.Range(0, Apis)
            .Select(i => new ApiPolicy($"api{i}", $"/api/x{i}/v1", Enumerable.Range(0, 10)
                .Select(r => new ApiRule(r % 2 == 0 ? ["GET"] : [], r % 3 == 0 ? $"/api/x{i}/v1/res{r}/**" : $"/api/x{i}/v1/res{r}/*", [$"scope{i}.{r}"]))
                .ToArray()))
            .Append(new ApiPolicy("table", "/api/now/table",
            [
                new ApiRule(["GET"], "/api/now/table/incident", ["incident.read"]),
                new ApiRule(["GET"], "/api/now/table/incident/*", ["incident.read"]),
                new ApiRule(["POST", "PATCH"], "/api/now/table/incident/**", ["incident.write"]),
                new ApiRule([], "/api/now/table/*", ["table.all"]),
            ]))
            .ToArray();
        _index = new ApiPolicyIndex(_policies);
    }

    [Benchmark(Baseline = true)]
    public string? Canonicalize() => ApiPath.Canonicalize("/api/now/table/incident/0123456789abcdef", out _);

    [Benchmark]
    public bool CanonicalizeAndDecide()
    {
        var path = ApiPath.Canonicalize("/api/now/table/incident/0123456789abcdef", out _)!;
        return ApiPolicies.Decide(_index.Find(path), "GET", path, _scopes).Allowed;
    }

    [Benchmark]
    public bool CanonicalizeAndDecideLastApi()
    {
        var path = ApiPath.Canonicalize($"/api/x{Apis - 1}/v1/res4/item", out _)!;
        return ApiPolicies.Decide(_index.Find(path), "GET", path, _scopes).Allowed;
    }

    [Benchmark]
    public bool CanonicalizeAndDecideOpenApi()
    {
        var path = ApiPath.Canonicalize("/api/sn_sc/v1/cart/items", out _)!;
        return ApiPolicies.Decide(_index.Find(path), "GET", path, _scopes).Allowed;
    }

    /// <summary>Before issue 25: every policy scanned for the API, every rule of it matched by splitting both paths.</summary>
    [Benchmark]
    public bool ScanEveryPolicyAndRule()
    {
        var path = ApiPath.Canonicalize($"/api/x{Apis - 1}/v1/res4/item", out _)!;
        var api = ApiPolicies.Find(_policies, path)!;
        ApiRule? best = null;
        var bestLength = -1;
        foreach (var rule in api.Rules)
        {
            if ((rule.Methods.Count == 0 || rule.Methods.Contains("GET")) && PathPattern.Matches(rule.Resource, path))
            {
                var length = rule.Resource.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
                if (length > bestLength)
                {
                    (best, bestLength) = (rule, length);
                }
            }
        }

        return best?.Scopes.Any(_scopes.Contains) == true;
    }
}
