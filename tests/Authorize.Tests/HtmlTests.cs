using OAuthAspire.Authorize.Pages;

namespace OAuthAspire.Authorize.Tests;

/// <summary>The pages: what is shown is escaped, and the CSP lets forms post only where they must.</summary>
public class HtmlTests
{
    [Theory]
    [InlineData("https://app.example.com/cb?x=1", "https://app.example.com")]
    [InlineData("https://app.example.com:8443/cb", "https://app.example.com:8443")]
    [InlineData("http://127.0.0.1:53123/callback", "http://127.0.0.1:53123")]
    [InlineData("com.example.notes:/oauth2redirect", "com.example.notes:")]
    [InlineData("not a uri", "'none'")]
    public void AFormTargetIsAllowedByItsOriginOrItsScheme(string uri, string source) => Assert.Equal(source, Html.SourceOf(uri));

    [Fact]
    public async Task AnErrorPageEscapesWhatItShowsAndAllowsNoScriptOrFraming()
    {
        var answer = await Answer.OfAsync(Html.ErrorPage("Sign-in <stopped>", "<script>alert(document.cookie)</script>"));

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("text/html", answer.Headers.ContentType.ToString());
        Assert.DoesNotContain("<script>", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<stopped>", answer.Body, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", answer.Body, StringComparison.Ordinal);
        var csp = answer.Headers.ContentSecurityPolicy.ToString();
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryNonceIsNew() =>
        Assert.Equal(50, Enumerable.Range(0, 50).Select(_ => Html.NewNonce()).Distinct(StringComparer.Ordinal).Count());
}
