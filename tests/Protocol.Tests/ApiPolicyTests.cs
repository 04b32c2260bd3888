using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Tests;

public class ApiPolicyTests
{
    private static readonly ApiPolicy Table = new("Table API", "/api/now/table",
    [
        new ApiRule(["GET"], "/api/now/table/incident", ["incident.read"]),
        new ApiRule(["POST", "PATCH"], "/api/now/table/incident", ["incident.write"]),
        new ApiRule(["GET"], "/api/now/table/incident/*", ["incident.read"]),
        new ApiRule([], "/api/now/table/*", ["table.all"]),
        new ApiRule(["GET"], "/api/now/table/**", ["table.browse"]),
    ]);

    private static ApiDecision Decide(string method, string path, params string[] scopes) =>
        ApiPolicies.Decide([Table], method, path, scopes.ToHashSet());

    [Fact]
    public void AnApiWithoutAPolicyIsOpenToAnyValidToken()
    {
        var decision = Decide("DELETE", "/api/sn_sc/cart", []);
        Assert.True(decision.Allowed);
        Assert.Null(decision.Policy);
    }

    [Fact]
    public void AMatchingRuleWithOneOfItsScopesAllows() => Assert.True(Decide("GET", "/api/now/table/incident", "incident.read").Allowed);

    [Fact]
    public void MethodsNarrowARule()
    {
        var decision = Decide("POST", "/api/now/table/incident", "incident.read");
        Assert.False(decision.Allowed);
        Assert.Equal(["incident.write"], decision.RequiredScopes);
    }

    [Fact]
    public void AnEmptyMethodListMeansEveryMethod() => Assert.True(Decide("DELETE", "/api/now/table/problem", "table.all").Allowed);

    [Fact]
    public void TheMostSpecificMatchingRuleDecidesNotTheMostPermissive()
    {
        // /incident matches the literal rule and the * and ** rules: the literal one decides.
        var decision = Decide("GET", "/api/now/table/incident", "table.all", "table.browse");
        Assert.False(decision.Allowed);
        Assert.Equal(["incident.read"], decision.RequiredScopes);
    }

    [Fact]
    public void AStarMatchesExactlyOneSegment()
    {
        Assert.True(PathPattern.Matches("/api/now/table/*", "/api/now/table/problem"));
        Assert.False(PathPattern.Matches("/api/now/table/*", "/api/now/table/problem/123"));
        Assert.False(PathPattern.Matches("/api/now/table/*", "/api/now/table"));
    }

    [Fact]
    public void ATrailingDoubleStarMatchesAnyDepthIncludingNone()
    {
        Assert.True(PathPattern.Matches("/api/now/table/**", "/api/now/table"));
        Assert.True(PathPattern.Matches("/api/now/table/**", "/api/now/table/a/b/c"));
        Assert.False(PathPattern.Matches("/api/now/table/**", "/api/now/tables"));
    }

    [Fact]
    public void DeeperCallsFallToTheGeneralRules() =>
        Assert.True(Decide("GET", "/api/now/table/problem/42/notes", "table.browse").Allowed);

    [Fact]
    public void ACallNoRuleOfAPoliciedApiMatchesIsRefused()
    {
        var decision = Decide("DELETE", "/api/now/table/problem/42/notes", "table.all", "table.browse");
        Assert.False(decision.Allowed);
        Assert.Empty(decision.RequiredScopes);
    }

    [Fact]
    public void UserAccountPassesEveryPolicyCheck()
    {
        Assert.True(Decide("POST", "/api/now/table/incident", ApiPolicies.UserAccount).Allowed);
        Assert.True(Decide("GET", "/api/now/table/incident", ApiPolicies.UserAccount).Allowed);
    }

    [Fact]
    public void UserAccountPassesEvenACallNoRuleMatches()
    {
        Assert.False(Decide("DELETE", "/api/now/table/problem/42/notes", "table.all").Allowed);
        Assert.True(Decide("DELETE", "/api/now/table/problem/42/notes", ApiPolicies.UserAccount).Allowed);
    }

    [Theory]
    [InlineData("/API/NOW/TABLE/incident")]
    [InlineData("/api/Now/Table/Incident")]
    public void AChangeOfCaseCannotDodgeARule(string path)
    {
        var decision = Decide("POST", path, "incident.read");
        Assert.False(decision.Allowed);
        Assert.Equal(["incident.write"], decision.RequiredScopes);
    }

    [Fact]
    public void TheLongestBasePathChoosesThePolicy()
    {
        var narrow = new ApiPolicy("Incidents", "/api/now/table/incident", [new ApiRule([], "/api/now/table/incident/**", ["inc"])]);
        var decision = ApiPolicies.Decide([Table, narrow], "GET", "/api/now/table/incident/1", new HashSet<string> { "incident.read" });
        Assert.False(decision.Allowed);
        Assert.Equal("Incidents", decision.Policy);
    }

    [Fact]
    public void ABasePathIsMatchedBySegmentsNotByPrefixText() =>
        Assert.True(ApiPolicies.Decide([Table], "GET", "/api/now/tablex", new HashSet<string>()).Allowed);

    [Theory]
    [InlineData("/api/now/table/%69ncident", "/api/now/table/incident")]
    [InlineData("/api/now/table/inc%20ident", "/api/now/table/inc ident")]
    public void APathIsDecodedExactlyOnce(string raw, string canonical) => Assert.Equal(canonical, ApiPath.Canonicalize(raw, out _));

    [Theory]
    [InlineData("/api/now/table/x/", "/api/now/table/x")]
    [InlineData("/api/now/table/sys_user/", "/api/now/table/sys_user")]
    [InlineData("/api/", "/api")]
    [InlineData("/", "/")]
    public void ATrailingSlashIsDroppedAsAspNetCoreRoutingIgnoresIt(string raw, string canonical) =>
        Assert.Equal(canonical, ApiPath.Canonicalize(raw, out _));

    [Fact]
    public void AnExactRuleIsNotSkippedByATrailingSlash()
    {
        var exact = new ApiPolicy("Users", "/api/now/table",
            [new ApiRule([], "/api/now/table/sys_user", ["user.admin"]), new ApiRule([], "/api/now/table/**", ["table.all"])]);
        var path = ApiPath.Canonicalize("/api/now/table/sys_user/", out _)!;
        Assert.False(ApiPolicies.Decide([exact], "GET", path, new HashSet<string> { "table.all" }).Allowed);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("Get")]
    [InlineData("gET")]
    public void MethodsAreComparedAsTheApiSeesThemInCapitals(string method)
    {
        var decision = Decide(method, "/api/now/table/incident", "incident.write");
        Assert.False(decision.Allowed);
        Assert.Equal(["incident.read"], decision.RequiredScopes);
        Assert.True(Decide(method, "/api/now/table/incident", "incident.read").Allowed);
    }

    [Theory]
    [InlineData("/api/now/table%2Fincident")]
    [InlineData("/api/now/table%2fincident")]
    [InlineData("/api/now/table/%252Fincident")]
    [InlineData("/api/now/table/%25")]
    [InlineData("/api/now//table/incident")]
    [InlineData("/api/now/table/../admin/users")]
    [InlineData("/api/now/table/./incident")]
    [InlineData("/api/now/table/%2e%2e/admin")]
    [InlineData("/api/now/table\\incident")]
    [InlineData("/api/now/table/%5Cincident")]
    [InlineData("/api/now/table/incident;jsessionid=1")]
    [InlineData("/api/now/table/%00incident")]
    [InlineData("/api/now/table/%ff")]
    [InlineData("/api/now/table/%zz")]
    [InlineData("api/now/table")]
    public void AmbiguousPathsAreRefused(string raw)
    {
        Assert.Null(ApiPath.Canonicalize(raw, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void AnEncodedDotSegmentCannotSlipPastTheCheck() => Assert.Null(ApiPath.Canonicalize("/api/now/%2E%2E/admin", out _));

    [Theory]
    [InlineData("/api/admin/clients")]
    [InlineData("/api/admin")]
    [InlineData("/api")]
    public void TheAdminApisCanNeverBeGivenAPolicy(string basePath) =>
        Assert.Contains("basePath", ApiPolicies.Problems("x", basePath, [new ApiRule([], basePath + "/**", ["s"])], new HashSet<string> { "s" }).Keys);

    [Theory]
    [InlineData("/api/now/**/x")]
    [InlineData("/api/now/tab*")]
    [InlineData("/api/now//x")]
    [InlineData("/api/now/%2e")]
    [InlineData("/other/x")]
    public void MalformedPatternsAreRefused(string pattern) => Assert.NotNull(PathPattern.Problem(pattern));

    [Fact]
    public void ARuleOutsideItsBasePathOrWithAnUnknownScopeOrMethodIsRefused()
    {
        var problems = ApiPolicies.Problems("x", "/api/now/table",
            [new ApiRule(["FETCH"], "/api/sn_sc/**", ["nope"])], new HashSet<string> { "s" });
        Assert.Contains("rules[0].methods", problems.Keys);
        Assert.Contains("rules[0].resource", problems.Keys);
        Assert.Contains("rules[0].scopes", problems.Keys);
    }

    [Fact]
    public void AValidPolicyHasNoProblems() =>
        Assert.Empty(ApiPolicies.Problems("Table API", "/api/now/table", Table.Rules,
            new HashSet<string> { "incident.read", "incident.write", "table.all", "table.browse" }));
}
