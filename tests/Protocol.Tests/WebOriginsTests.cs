using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Tests;

public class WebOriginsTests
{
    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("HTTPS://App.Example.COM", "https://app.example.com")]
    [InlineData("https://app.example.com:443", "https://app.example.com")]
    [InlineData("https://app.example.com:8443", "https://app.example.com:8443")]
    [InlineData("http://127.0.0.1:5173", "http://127.0.0.1:5173")]
    [InlineData("http://localhost:3000", "http://localhost:3000")]
    [InlineData("http://[::1]:4200", "http://[::1]:4200")]
    public void AnOriginIsKeptAsABrowserSendsIt(string value, string expected)
    {
        Assert.True(WebOrigins.TryNormalize(value, out var origin, out var error), error);
        Assert.Equal(expected, origin);
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/spa")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("https://app.example.com#top")]
    [InlineData("https://user@app.example.com")]
    [InlineData("https://*.example.com")]
    [InlineData("*")]
    [InlineData("null")]
    [InlineData("app.example.com")]
    [InlineData("http://app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("com.example.app://callback")]
    [InlineData("https://bücher.example")]
    [InlineData("https://app.example.com ")]
    [InlineData("")]
    [InlineData(null)]
    public void AnythingButAnHttpsOrLoopbackOriginIsRefused(string? value)
    {
        Assert.False(WebOrigins.TryNormalize(value, out var origin, out var error));
        Assert.Null(origin);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TheDefaultIsTheDistinctOriginsOfTheRedirectUrisThatABrowserPageCanHave() =>
        Assert.Equal(
            ["https://app.example.com", "http://127.0.0.1:5173", "https://other.example.com:8443"],
            WebOrigins.DefaultFor([
                "https://app.example.com/callback", "https://APP.example.com:443/silent", "http://127.0.0.1:5173/callback.html",
                "com.example.app:/oauth2redirect", "http://app.example.com/not-loopback", "https://other.example.com:8443/cb",
            ]));

    [Fact]
    public void AClientWithOnlyNativeRedirectUrisHasNoDefaultOrigin() =>
        Assert.Empty(WebOrigins.DefaultFor(["com.example.app:/oauth2redirect"]));
}
