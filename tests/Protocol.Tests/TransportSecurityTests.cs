using OAuthAspire.Protocol.Security;

namespace OAuthAspire.Protocol.Tests;

public class TransportSecurityTests
{
    [Theory]
    [InlineData("https://login.example.com", false, true)]
    [InlineData("https://login.example.com", true, false)]
    [InlineData("http://localhost:8080", false, false)]
    [InlineData("http://localhost:8080", true, false)]
    public void HstsIsSentForAnHttpsIssuerOutsideDevelopmentOnly(string issuer, bool development, bool expected) =>
        Assert.Equal(expected, TransportSecurity.SendsHsts(new Uri(issuer), development));
}
