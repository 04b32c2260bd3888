using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Tests;

/// <summary>
/// The rule tree and the base-path index decide exactly as a scan of every rule and every policy
/// (<see cref="PathPattern.Matches"/>, most specific first, the earlier rule on a tie) would.
/// </summary>
public class ApiRuleTreeTests
{
    private static readonly string[] Segments = ["a", "B", "c", "*", "**"];
    private static readonly string[][] MethodSets = [[], ["GET"], ["POST", "PATCH"], ["HEAD"]];
    private static readonly string[] Calls = ["GET", "HEAD", "POST", "DELETE"];

    [Fact]
    public void TheTreeChoosesTheRuleAScanOfEveryRuleChooses()
    {
        var random = new Random(25);
        for (var set = 0; set < 200; set++)
        {
            var rules = Enumerable.Range(0, random.Next(1, 40)).Select(_ => new ApiRule(MethodSets[random.Next(MethodSets.Length)], Pattern(random), ["s"])).ToArray();
            var tree = new ApiRuleTree(rules);
            for (var call = 0; call < 50; call++)
            {
                var path = "/api/x" + string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => "/" + new[] { "a", "b", "C", "d", "" }[random.Next(5)]));
                var method = Calls[random.Next(Calls.Length)];
                Assert.Same(Scan(rules, method, path), tree.Best(method, path));
            }
        }
    }

    [Fact]
    public void TheIndexFindsTheLongestBasePathAboveTheCallAsAScanDoes()
    {
        var policies = new[] { "/api/a", "/api/a/b", "/api/a/b/c", "/api/ab", "/api/x/y" }
            .Select(p => new ApiPolicy(p, p, [new ApiRule([], p + "/**", ["s"])])).ToArray();
        var index = new ApiPolicyIndex(policies);
        foreach (var path in new[] { "/api/a", "/api/A/b", "/api/a/b/", "/api/a/b/c/d", "/api/ab/c", "/api/abc", "/api/x", "/api/x/y/z", "/api", "/other" })
        {
            Assert.Same(ApiPolicies.Find(policies, path), index.Find(path));
        }

        Assert.Equal("/api/a/b", index.Find("/api/A/B/x")!.BasePath);
        Assert.Null(index.Find("/api/abc"));
    }

    [Fact]
    public void TenThousandRulesDecideAsTheScanWould()
    {
        var rules = Enumerable.Range(0, 10_000).Select(i => new ApiRule(i % 3 == 0 ? ["GET"] : [], $"/api/big/r{i % 1000}/{(i % 7 == 0 ? "*" : "v" + i)}", [$"s{i}"])).ToArray();
        var tree = new ApiRuleTree(rules);
        foreach (var path in new[] { "/api/big/r5/v5", "/api/big/r7/anything", "/api/big/r999/v9999", "/api/big/none/v1" })
        {
            Assert.Same(Scan(rules, "GET", path), tree.Best("GET", path));
        }
    }

    private static string Pattern(Random random) =>
        "/api/x" + string.Concat(Enumerable.Range(0, random.Next(0, 4)).Select(_ => "/" + Segments[random.Next(Segments.Length - 1)]))
        + (random.Next(3) == 0 ? "/**" : "");

    /// <summary>The reference: every rule tried in order, the most specific kept.</summary>
    private static ApiRule? Scan(IReadOnlyList<ApiRule> rules, string method, string path)
    {
        ApiRule? best = null;
        var bestScore = (-1, -1, -1);
        foreach (var rule in rules)
        {
            if ((rule.Methods.Count == 0 || rule.Methods.Contains(method) || (method == "HEAD" && rule.Methods.Contains("GET"))) && PathPattern.Matches(rule.Resource, path))
            {
                var segments = rule.Resource.Split('/', StringSplitOptions.RemoveEmptyEntries);
                var score = (segments.Count(s => s is not ("*" or "**")), -segments.Count(s => s is "*" or "**") * 2 - (segments[^1] == "**" ? 1 : 0),
                    rule.Methods.Count == 0 ? 0 : 1);
                if (score.CompareTo(bestScore) > 0)
                {
                    (best, bestScore) = (rule, score);
                }
            }
        }

        return best;
    }
}
