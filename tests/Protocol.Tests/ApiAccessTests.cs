using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Tests;

/// <summary>The edge's decision on an admitted call: the scopes that count, then the admin APIs' rule or the API's policy.</summary>
public class ApiAccessTests
{
    private static readonly ApiPolicy Incidents = new("Incidents", "/api/now/table/incident",
    [
        new ApiRule(["GET"], "/api/now/table/incident", ["incident.read"]),
        new ApiRule(["POST"], "/api/now/table/incident", ["incident.write", "incident.admin"]),
    ]);

    // As the services behind the edge state it (ServiceDefaults' AdminApi): the scope and one administrator role.
    private static readonly AdminRule Administrators = new("admin.api",
        (scopes, roles) => scopes.Contains("admin.api") && roles.Any(r => r is "oauth_admin" or "mi_admin" or "admin"));

    private static readonly HashSet<string> Active = ["incident.read", "incident.write", "incident.admin", "admin.api", ApiPolicies.UserAccount];

    private static IReadOnlyList<string> Counting(string[] granted, string[]? clientScopes) => ApiAccess.ScopesThatCount(granted, clientScopes, Active);

    private static ApiAccessDecision Decide(string method, string path, string[] scopes, params string[] roles) =>
        ApiAccess.Decide([Incidents], method, path, ApiPath.IsUnder(path, ApiPolicies.AdminPrefix), Administrators, scopes, roles);

    [Fact]
    public void AScopeTakenFromTheClientNoLongerCounts() =>
        Assert.Equal(["incident.read"], Counting(["incident.read", "incident.write"], ["incident.read"]));

    [Fact]
    public void ADeactivatedScopeNoLongerCounts() =>
        Assert.Equal(["incident.write"], Counting(["retired", "incident.write"], ["retired", "incident.write"]));

    [Fact]
    public void AProvidersTokenHasNoClientOfOursToLimitItsScopes() =>
        Assert.Equal(["incident.read", "incident.write"], Counting(["incident.read", "retired", "incident.write"], null));

    [Fact]
    public void NoScopeThatCountsIsAnEmptyList() =>
        Assert.Empty(Counting(["incident.read"], []));

    [Fact]
    public void ALiveTokenIsRefusedOnceItsClientLosesTheScope()
    {
        var scopes = ApiAccess.ScopesThatCount(["incident.read"], ["useraccount"], Active);

        Assert.False(Decide("GET", "/api/now/table/incident", scopes).Allowed);
    }

    [Fact]
    public void AnAllowedCallCarriesTheScopesThatCountAndNoChallenge()
    {
        var decision = Decide("GET", "/api/now/table/incident", ["incident.read", "other"]);
        IReadOnlyList<string> forwarded = decision.Scopes;

        Assert.True(decision.Allowed);
        Assert.Equal(["incident.read", "other"], forwarded);
        Assert.Null(decision.Challenge);
        Assert.Null(decision.Description);
    }

    [Fact]
    public void ARefusalNamesTheScopesThatWouldPassInItsChallenge()
    {
        var decision = Decide("POST", "/api/now/table/incident", ["incident.read"]);

        Assert.False(decision.Allowed);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"incident.write incident.admin\"", decision.Challenge);
        Assert.Equal("This call needs one of these scopes: incident.write incident.admin.", decision.Description);
        Assert.Equal("Incidents", decision.Policy!.Policy);
        Assert.Equal(["incident.write", "incident.admin"], decision.Policy.RequiredScopes);
    }

    [Fact]
    public void ACallNoRuleMatchesIsRefusedWithABareInsufficientScopeChallenge()
    {
        var decision = Decide("DELETE", "/api/now/table/incident", ["incident.read", "incident.write"]);

        Assert.False(decision.Allowed);
        Assert.Equal("Bearer error=\"insufficient_scope\"", decision.Challenge);
        Assert.Equal("No rule of this API's policy allows this call.", decision.Description);
    }

    [Fact]
    public void AnApiWithoutAPolicyIsOpenToAnyAdmittedCaller() =>
        Assert.True(Decide("DELETE", "/api/sn_sc/cart", []).Allowed);

    [Fact]
    public void UserAccountPassesEveryPolicyCheck() =>
        Assert.True(Decide("DELETE", "/api/now/table/incident", [ApiPolicies.UserAccount]).Allowed);

    [Fact]
    public void TheAdminApisAdmitTheAdminScopeWithAnAdministratorRole()
    {
        var decision = Decide("GET", "/api/admin/clients", ["admin.api"], "itil", "oauth_admin");

        Assert.True(decision.Allowed);
        Assert.Null(decision.Policy);
    }

    [Theory]
    [InlineData("admin.api", "itil")]
    [InlineData("useraccount", "admin")]
    [InlineData("incident.read", "admin")]
    public void TheAdminApisRefuseAnyoneTheirRuleDoesNotAdmitNamingTheAdminScope(string scope, string role)
    {
        var decision = Decide("GET", "/api/admin/clients", [scope], role);

        Assert.False(decision.Allowed);
        Assert.Null(decision.Policy);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"admin.api\"", decision.Challenge);
        Assert.Equal("Admin APIs need the admin.api scope and an administrator role.", decision.Description);
    }

    [Fact]
    public void TheAdminApisAnswerToTheirRuleAloneNeverToAPolicy()
    {
        // Even a policy over the admin APIs (scope-policy refuses to store one) cannot open them.
        var admin = new ApiPolicy("Admin", "/api/admin", [new ApiRule([], "/api/admin/**", ["incident.read"])]);
        var decision = ApiAccess.Decide([admin], "GET", "/api/admin/clients", adminApi: true, Administrators, ["incident.read"], ["admin"]);

        Assert.False(decision.Allowed);
    }
}
