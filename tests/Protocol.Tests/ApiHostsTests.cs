using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Tests;

public class ApiHostsTests
{
    [Theory]
    [InlineData("id.example.com", "/oauth/authorize")]
    [InlineData("id.example.com", "/api/now/table/incident")]
    [InlineData("api.example.com", "/oauth/authorize")]
    public void WithoutAnApiHostEverythingIsServedOnOneOrigin(string host, string path) =>
        Assert.Equal(HostDecision.Serve, ApiHosts.Decide(host, path, null, apiOnIssuerHost: true));

    [Theory]
    [InlineData("/oauth/authorize")]
    [InlineData("/oauth/login/abc")]
    [InlineData("/.well-known/openid-configuration")]
    [InlineData("/api/admin/clients")]
    public void TheApiHostServesNothingOfTheIssuersOwn(string path) =>
        Assert.Equal(HostDecision.NotHere, ApiHosts.Decide("API.example.com", path, "api.example.com", apiOnIssuerHost: true));

    [Fact]
    public void TheApiHostServesTheProtectedApis() =>
        Assert.Equal(HostDecision.Serve, ApiHosts.Decide("api.example.com", "/api/now/table/incident", "api.example.com", apiOnIssuerHost: false));

    [Fact]
    public void TheIssuersHostKeepsTheApisUntilTheyAreMovedAndNeverLosesItsOwnRoutes()
    {
        Assert.Equal(HostDecision.Serve, ApiHosts.Decide("id.example.com", "/api/now/table/incident", "api.example.com", apiOnIssuerHost: true));
        Assert.Equal(HostDecision.NotHere, ApiHosts.Decide("id.example.com", "/api/now/table/incident", "api.example.com", apiOnIssuerHost: false));
        Assert.Equal(HostDecision.Serve, ApiHosts.Decide("id.example.com", "/api/admin/clients", "api.example.com", apiOnIssuerHost: false));
        Assert.Equal(HostDecision.Serve, ApiHosts.Decide("id.example.com", "/oauth/token", "api.example.com", apiOnIssuerHost: false));
    }
}
