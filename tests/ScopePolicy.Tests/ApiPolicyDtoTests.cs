using OAuthAspire.Protocol.Policies;
using OAuthAspire.ScopePolicy.Scopes;

namespace OAuthAspire.ScopePolicy.Tests;

/// <summary>
/// An API policy as the admin API takes it becomes the rules that decide: omitted lists are empty
/// (all methods; no scope), an omitted resource is the empty pattern the rules then refuse, each
/// method and scope counts once; and a stored policy reads back as it was saved.
/// </summary>
public class ApiPolicyDtoTests
{
    [Fact]
    public void RulesKeepTheirOrderAndEachMethodAndScopeOnce()
    {
        var rules = new ApiPolicyDto("tables", "/api/now/table",
        [
            new ApiRuleDto(["GET", "HEAD", "GET"], "/api/now/table/incident/**", ["table.read", "table.read", "table.admin"]),
            new ApiRuleDto(["POST"], "/api/now/table/**", ["table.write"]),
        ]).ToRules();

        Assert.Equal(2, rules.Count);
        Assert.Equal(new[] { "GET", "HEAD" }, rules[0].Methods);
        Assert.Equal("/api/now/table/incident/**", rules[0].Resource);
        Assert.Equal(new[] { "table.read", "table.admin" }, rules[0].Scopes);
        Assert.Equal(new[] { "POST" }, rules[1].Methods);
    }

    [Fact]
    public void OmittedListsAreEmptyAndAnOmittedResourceIsTheEmptyPattern()
    {
        var rule = Assert.Single(new ApiPolicyDto("tables", "/api/now/table", [new ApiRuleDto(null, null, null)]).ToRules());

        Assert.Empty(rule.Methods);
        Assert.Empty(rule.Scopes);
        Assert.Equal("", rule.Resource);
    }

    [Fact]
    public void NoRulesAtAllAreNoRulesNotAFailure() => Assert.Empty(new ApiPolicyDto("tables", "/api/now/table", null).ToRules());

    [Fact]
    public void AnOmittedResourceIsRefusedByThePolicyRules()
    {
        var rules = new ApiPolicyDto("tables", "/api/now/table", [new ApiRuleDto(["GET"], null, ["table.read"])]).ToRules();

        var problems = ApiPolicies.Problems("tables", "/api/now/table", rules, new HashSet<string>(StringComparer.Ordinal) { "table.read" });

        Assert.Equal(new[] { "rules[0].resource" }, problems.Keys);
    }

    [Fact]
    public void AStoredPolicyReadsBackAsItWasSaved()
    {
        var saved = new ApiPolicy("tables", "/api/now/table",
        [
            new ApiRule(["GET", "HEAD"], "/api/now/table/incident/**", ["table.read"]),
            new ApiRule([], "/api/now/table/**", ["table.admin"]),
        ]);

        var read = ApiPolicyDto.From(saved);
        var again = read.ToRules();

        Assert.Equal(("tables", "/api/now/table"), (read.Name, read.BasePath));
        Assert.Equal(saved.Rules.Count, again.Count);
        for (var i = 0; i < again.Count; i++)
        {
            Assert.Equal(saved.Rules[i].Methods, again[i].Methods);
            Assert.Equal(saved.Rules[i].Resource, again[i].Resource);
            Assert.Equal(saved.Rules[i].Scopes, again[i].Scopes);
        }
    }
}
