using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Protocol.Tests;

public class AuthorizationResponseTests
{
    private static readonly Issuer TestIssuer = Issuer.Create("https://id.example.com", false);

    [Fact]
    public void EveryResponseCarriesTheIssuer()
    {
        var parameters = AuthorizationResponse.Parameters(TestIssuer, "s1", ("code", "abc"));
        Assert.Contains(new KeyValuePair<string, string>("iss", "https://id.example.com"), parameters);
        Assert.Contains(new KeyValuePair<string, string>("state", "s1"), parameters);
    }

    [Fact]
    public void AQueryResponseKeepsTheRegisteredQuery() =>
        Assert.Equal("https://app.example.com/cb?tenant=a&code=x%2By&iss=https%3A%2F%2Fid.example.com",
            AuthorizationResponse.RedirectUrl("https://app.example.com/cb?tenant=a", "query", AuthorizationResponse.Parameters(TestIssuer, null, ("code", "x+y"))));

    [Fact]
    public void AFragmentResponseUsesTheFragment() =>
        Assert.StartsWith("https://app.example.com/cb#access_token=",
            AuthorizationResponse.RedirectUrl("https://app.example.com/cb", "fragment", AuthorizationResponse.Parameters(TestIssuer, null, ("access_token", "t"))));

    [Fact]
    public void AbsentValuesAreLeftOut() =>
        Assert.DoesNotContain(AuthorizationResponse.Parameters(TestIssuer, null, ("error_description", null)), p => p.Key == "error_description");
}
