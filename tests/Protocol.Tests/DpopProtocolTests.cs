using OAuthAspire.Protocol.Dpop;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9449's names and small rules: the htu form compared (§4.3), ath (§4.2), the algorithms.</summary>
public class DpopProtocolTests
{
    [Theory]
    [InlineData("https://id.example.com/oauth/token", "https://id.example.com/oauth/token")]
    [InlineData("HTTPS://ID.EXAMPLE.COM/oauth/token", "https://id.example.com/oauth/token")]
    [InlineData("https://id.example.com:443/oauth/token", "https://id.example.com/oauth/token")]
    [InlineData("http://localhost:80/token", "http://localhost/token")]
    [InlineData("https://id.example.com:8443/oauth/token", "https://id.example.com:8443/oauth/token")]
    [InlineData("https://id.example.com/oauth/token?a=1&b=2#frag", "https://id.example.com/oauth/token")]
    [InlineData("https://id.example.com/a/./b/../token", "https://id.example.com/a/token")]
    [InlineData("https://id.example.com", "https://id.example.com/")]
    [InlineData("https://user:secret@id.example.com/token", "https://id.example.com/token")]
    public void AnHtuIsNormalizedForComparison(string uri, string normalized) =>
        Assert.Equal(normalized, DpopProtocol.NormalizeUri(uri));

    [Fact]
    public void ThePathKeepsItsCase() =>
        Assert.NotEqual(DpopProtocol.NormalizeUri("https://id.example.com/oauth/token"), DpopProtocol.NormalizeUri("https://id.example.com/OAuth/Token"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/oauth/token")]
    [InlineData("oauth/token")]
    [InlineData("ftp://id.example.com/token")]
    [InlineData("urn:ietf:params:oauth:token")]
    [InlineData("not a uri")]
    public void AnythingButAnAbsoluteHttpUriIsNoHtu(string? uri) =>
        Assert.Null(DpopProtocol.NormalizeUri(uri));

    [Fact]
    public void TheAccessTokenHashIsBase64UrlOfSha256()
    {
        // RFC 9449 §7.1, figures 13 and 14.
        Assert.Equal("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo", DpopProtocol.AccessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"));
        Assert.NotEqual(DpopProtocol.AccessTokenHash("token-a"), DpopProtocol.AccessTokenHash("token-b"));
    }

    [Fact]
    public void OnlyAsymmetricAlgorithmsAreAccepted() =>
        Assert.Equal(["ES256", "ES384", "PS256", "RS256"], DpopProtocol.Algorithms);
}
