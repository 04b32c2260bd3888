namespace OAuthAspire.Protocol.Tests;

public class IssuerTests
{
    [Theory]
    [InlineData("https://id.example.com")]
    [InlineData("https://example.com/tenants/acme")]
    [InlineData("https://example.com:8443")]
    public void HttpsIssuerIsAcceptedVerbatim(string value)
    {
        Assert.True(Issuer.TryCreate(value, allowHttpLoopback: false, out var issuer, out _));
        Assert.Equal(value, issuer.Value);
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://[::1]:8080")]
    public void HttpLoopbackIssuerIsAcceptedInDevelopment(string value) =>
        Assert.True(Issuer.TryCreate(value, allowHttpLoopback: true, out _, out _));

    [Fact]
    public void HttpLoopbackIssuerIsRejectedOutsideDevelopment() =>
        Assert.False(Issuer.TryCreate("http://localhost:8080", allowHttpLoopback: false, out _, out _));

    [Fact]
    public void HttpIssuerOnANonLoopbackHostIsRejectedEvenInDevelopment() =>
        Assert.False(Issuer.TryCreate("http://id.example.com", allowHttpLoopback: true, out _, out _));

    [Theory]
    [InlineData("https://id.example.com/")]
    [InlineData("https://id.example.com/tenant/")]
    public void IssuerWithATrailingSlashIsRejected(string value) =>
        Assert.False(Issuer.TryCreate(value, allowHttpLoopback: true, out _, out _));

    [Theory]
    [InlineData("https://id.example.com?tenant=a")]
    [InlineData("https://id.example.com#top")]
    public void IssuerWithAQueryOrFragmentIsRejected(string value) =>
        Assert.False(Issuer.TryCreate(value, allowHttpLoopback: true, out _, out _));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("id.example.com")]
    [InlineData("/relative")]
    [InlineData("ftp://id.example.com")]
    [InlineData("https://user:pass@id.example.com")]
    public void IssuerThatIsNotAnAbsoluteHttpsUrlIsRejected(string? value)
    {
        Assert.False(Issuer.TryCreate(value, allowHttpLoopback: true, out var issuer, out var error));
        Assert.Null(issuer);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void UrlAppendsThePathToTheExactIssuer() =>
        Assert.Equal("https://id.example.com/t/oauth/token", Issuer.Create("https://id.example.com/t", false).Url("/oauth/token"));
}
