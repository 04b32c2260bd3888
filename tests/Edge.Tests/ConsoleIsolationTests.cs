using Microsoft.Extensions.Primitives;
using OAuthAspire.Edge.Proxy;

namespace OAuthAspire.Edge.Tests;

/// <summary>What the edge lets pass between the browser and the admin console, which shares the issuer's origin.</summary>
public sealed class ConsoleIsolationTests
{
    [Fact]
    public void TheConsoleSeesOnlyItsOwnCookiesNeverTheIssuersSession()
    {
        var header = new StringValues("oauthaspire_session=abc; oauthaspire-consoleC1=x; oauthaspire_af=t;oauthaspire-console-af=y");
        Assert.Equal("oauthaspire-consoleC1=x; oauthaspire-console-af=y", ConsoleIsolation.OwnCookies(header));
        Assert.Null(ConsoleIsolation.OwnCookies(new StringValues("oauthaspire_session=abc; other=1")));
        Assert.Null(ConsoleIsolation.OwnCookies(StringValues.Empty));
    }

    [Theory]
    [InlineData("oauthaspire-console=v; path=/console; samesite=lax; httponly", true)]
    [InlineData("oauthaspire-console-correlation.x=v; path=/console/signin-oidc; httponly", true)]
    [InlineData("oauthaspire-console-af=v; Path=/console", true)]
    // Another cookie's name (the issuer's session: fixation), the whole origin, a parent domain, a look-alike path, no path.
    [InlineData("oauthaspire_session=v; path=/", false)]
    [InlineData("oauthaspire-console=v; path=/", false)]
    [InlineData("oauthaspire-console=v; path=/console; domain=example.test", false)]
    [InlineData("oauthaspire-console=v; path=/consoles", false)]
    [InlineData("oauthaspire-console=v", false)]
    public void TheConsoleSetsOnlyItsOwnCookiesOnItsOwnPath(string setCookie, bool passes) =>
        Assert.Equal(passes, ConsoleIsolation.IsOwnSetCookie(setCookie));
}
