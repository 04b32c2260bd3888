using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Protocol.Tests;

/// <summary>The admin console's own rules: where it returns after a sign-in.</summary>
public sealed class AdminConsoleAppTests
{
    [Theory]
    [InlineData("/console/applications?search=x", "/console/applications?search=x")]
    [InlineData("http://localhost:1234/console/tokens", "/console/tokens")]
    [InlineData("https://elsewhere.example/steal", "/console/")]
    [InlineData("//elsewhere.example/console/", "/console/")]
    [InlineData("/oauth/logout", "/console/")]
    [InlineData("/console/sign-in", "/console/")]
    [InlineData("/console/../oauth/logout", "/console/")]
    [InlineData("/console/%2E%2E/oauth/logout", "/console/")]
    [InlineData("/console\\..\\oauth", "/console/")]
    [InlineData(null, "/console/")]
    public void AfterSigningInTheConsoleReturnsOnlyToOneOfItsOwnPages(string? returnUrl, string expected) =>
        Assert.Equal(expected, AdminConsoleApp.ReturnPath(returnUrl));
}
