using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Protocol.Tests;

public class RedirectUrisTests
{
    [Fact]
    public void AnIdenticalStringMatches() => Assert.True(RedirectUris.Matches("https://app.example.com/cb", "https://app.example.com/cb"));

    [Theory]
    [InlineData("https://app.example.com/cb/")]
    [InlineData("https://APP.example.com/cb")]
    [InlineData("https://app.example.com/cb?x=1")]
    [InlineData("https://app.example.com:443/cb")]
    [InlineData("https://app.example.com/CB")]
    [InlineData("https://app.example.com/cb/../cb")]
    public void AnythingButTheExactStringIsRefused(string requested) =>
        Assert.False(RedirectUris.Matches(requested, "https://app.example.com/cb"));

    [Fact]
    public void ALoopbackIpRedirectMayUseAnyPort() =>
        Assert.True(RedirectUris.Matches("http://127.0.0.1:53123/callback", "http://127.0.0.1/callback"));

    [Fact]
    public void ALoopbackIpv6RedirectMayUseAnyPort() =>
        Assert.True(RedirectUris.Matches("http://[::1]:4000/cb", "http://[::1]:5000/cb"));

    [Fact]
    public void ALoopbackRedirectMustKeepItsPath() =>
        Assert.False(RedirectUris.Matches("http://127.0.0.1:53123/other", "http://127.0.0.1/callback"));

    [Fact]
    public void TheLoopbackPortRuleDoesNotApplyToLocalhostNames() =>
        Assert.False(RedirectUris.Matches("http://localhost:1234/cb", "http://localhost:5678/cb"));

    [Fact]
    public void TheLoopbackPortRuleDoesNotApplyToHttps() =>
        Assert.False(RedirectUris.Matches("https://127.0.0.1:1234/cb", "https://127.0.0.1:5678/cb"));

    [Fact]
    public void ADifferentHostNeverMatchesEvenOnLoopbackAddresses() =>
        Assert.False(RedirectUris.Matches("http://127.0.0.2:1234/cb", "http://127.0.0.1:1234/cb"));
}
