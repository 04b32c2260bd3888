using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OAuthAspire.Authorize.Authorization;
using OAuthAspire.Protocol;

namespace OAuthAspire.Authorize.Tests;

/// <summary>
/// Answers go back to the client's redirect URI as a never-cached 302 (query, fragment) or as a form
/// the browser posts at once (form_post): every value escaped, the form allowed to post only to the
/// client's origin, and its one script allowed by a nonce of its own.
/// </summary>
public partial class ClientResponsesTests
{
    private static readonly Issuer Ours = Issuer.Create("https://id.example.com", allowHttpLoopback: false);

    [GeneratedRegex("script-src 'nonce-(?<nonce>[^']+)'")]
    private static partial Regex ScriptNonce();

    [Fact]
    public async Task AQueryAnswerIsANeverCachedRedirectCarryingTheValuesStateAndIssuer()
    {
        var answer = await Answer.OfAsync(ClientResponses.Send(Ours, "https://app.example.com/cb?tenant=7", "query", "af0ifjsldkj", ("code", "SplxlOBeZQQYbYS6WxSbIA")));

        Assert.Equal(StatusCodes.Status302Found, answer.Status);
        Assert.Equal("no-store", answer.Headers.CacheControl.ToString());
        var location = new Uri(answer.Headers.Location.ToString());
        Assert.Equal("https://app.example.com/cb", location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("7", query["tenant"].ToString());
        Assert.Equal("SplxlOBeZQQYbYS6WxSbIA", query["code"].ToString());
        Assert.Equal("af0ifjsldkj", query["state"].ToString());
        Assert.Equal(Ours.Value, query["iss"].ToString());
    }

    [Fact]
    public async Task AFragmentAnswerKeepsTheValuesOutOfTheQuery()
    {
        var answer = await Answer.OfAsync(ClientResponses.Send(Ours, "https://app.example.com/cb", "fragment", null, ("access_token", "2YotnFZFEjr1zCsicMWpAA")));

        var location = new Uri(answer.Headers.Location.ToString());
        Assert.Empty(location.Query);
        Assert.Equal("2YotnFZFEjr1zCsicMWpAA", QueryHelpers.ParseQuery(location.Fragment.TrimStart('#'))["access_token"].ToString());
        Assert.Equal("no-store", answer.Headers.CacheControl.ToString());
    }

    [Fact]
    public async Task AFormPostAnswerEscapesEveryValueAndMayPostOnlyToTheClient()
    {
        const string hostileState = "\"><script>alert(1)</script>";

        var answer = await Answer.OfAsync(ClientResponses.Send(Ours, "https://app.example.com:8443/cb", "form_post", hostileState, ("code", "SplxlOBeZQQYbYS6WxSbIA")));

        Assert.Equal(StatusCodes.Status200OK, answer.Status);
        Assert.DoesNotContain("<script>alert(1)", answer.Body, StringComparison.Ordinal);
        Assert.Contains("""<form method="post" action="https://app.example.com:8443/cb" id="response">""", answer.Body, StringComparison.Ordinal);
        Assert.Contains("""<input type="hidden" name="code" value="SplxlOBeZQQYbYS6WxSbIA">""", answer.Body, StringComparison.Ordinal);
        Assert.Contains("""name="state" value="&quot;&gt;&lt;script&gt;""", answer.Body, StringComparison.Ordinal);
        var csp = answer.Headers.ContentSecurityPolicy.ToString();
        Assert.Contains("form-action 'self' https://app.example.com:8443;", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFormPostsScriptRunsByANonceNewForEachAnswer()
    {
        var first = await Answer.OfAsync(ClientResponses.Send(Ours, "https://app.example.com/cb", "form_post", "s1", ("code", "c1")));
        var second = await Answer.OfAsync(ClientResponses.Send(Ours, "https://app.example.com/cb", "form_post", "s2", ("code", "c2")));

        var nonce = ScriptNonce().Match(first.Headers.ContentSecurityPolicy.ToString()).Groups["nonce"].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"<script nonce=\"{nonce}\">", first.Body, StringComparison.Ordinal);
        Assert.NotEqual(nonce, ScriptNonce().Match(second.Headers.ContentSecurityPolicy.ToString()).Groups["nonce"].Value);
    }
}
