using System.Net;
using System.Text.RegularExpressions;

namespace OAuthAspire.Testing;

/// <summary>
/// A cookie-keeping HTTP "browser" for the sign-in pages: follows redirects within the issuer,
/// stops at anything else (the client's redirect URI), and submits the pages' forms with their
/// hidden fields (antiforgery token, request id) as a browser would.
/// </summary>
public sealed partial class FormBrowser : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _origin;

    /// <param name="localAddress">Another loopback address to connect from (its own address at the edge), or null.</param>
    public FormBrowser(Uri origin, System.Net.Security.RemoteCertificateValidationCallback? certificateValidation = null, string? localAddress = null)
    {
        _origin = origin;
        Cookies = new CookieContainer();
        _http = new HttpClient(new SocketsHttpHandler
        {
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = certificateValidation },
            ConnectCallback = localAddress is null ? null : SystemFixture.ConnectFrom(localAddress),
        }) { BaseAddress = origin };
    }

    public CookieContainer Cookies { get; }

    /// <summary>The last page's HTML (when the last answer was a page).</summary>
    public string Html { get; private set; } = "";

    public HttpResponseMessage? Last { get; private set; }

    /// <summary>Every address followed within the issuer, in order (a redirect URI on the issuer's own origin among them).</summary>
    public List<Uri> Visited { get; } = [];

    /// <summary>Every Set-Cookie header received, as sent (attributes included).</summary>
    public List<string> SetCookieHeaders { get; } = [];

    /// <summary>GETs a URL and follows redirects inside the issuer; returns the final answer.</summary>
    public async Task<HttpResponseMessage> GetAsync(string url) => await FollowAsync(await _http.GetAsync(url));

    /// <summary>Submits the page's first POST form with <paramref name="values"/> (and its hidden fields); follows redirects.</summary>
    public Task<HttpResponseMessage> SubmitAsync(params (string Name, string Value)[] values) => SubmitAsync(FormPattern().Match(Html), values);

    /// <summary>Submits the first POST form to <paramref name="action"/> whose HTML <paramref name="which"/> accepts (and its hidden fields); follows redirects.</summary>
    public Task<HttpResponseMessage> SubmitFormAsync(string action, Func<string, bool> which, params (string Name, string Value)[] values) =>
        SubmitAsync(FormPattern().Matches(Html).FirstOrDefault(m => WebUtility.HtmlDecode(m.Groups["action"].Value) == action && which(m.Value)) ?? Match.Empty, values);

    private async Task<HttpResponseMessage> SubmitAsync(Match form, (string Name, string Value)[] values)
    {
        Assert.True(form.Success, "no such form on the page:\n" + Html);
        var fields = HiddenPattern().Matches(form.Value).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        foreach (var (name, value) in values)
        {
            fields[name] = value;
        }

        var action = WebUtility.HtmlDecode(form.Groups["action"].Value);
        var response = await _http.PostAsync(action, new FormUrlEncodedContent(fields));
        return await FollowAsync(response);
    }

    public Task<HttpResponseMessage> SignInAsync(string userName, string password) => SubmitAsync(("username", userName), ("password", password));

    public Task<HttpResponseMessage> ConsentAsync(bool allow) => SubmitAsync(("decision", allow ? "approve" : "deny"));

    /// <summary>The redirect to the client, with its parameters (query or fragment).</summary>
    public static Dictionary<string, string> RedirectParameters(HttpResponseMessage response, out Uri location)
    {
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        location = response.Headers.Location!;
        var part = location.Fragment.Length > 1 ? location.Fragment[1..] : location.Query.TrimStart('?');
        return part.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""));
    }

    private async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage response)
    {
        Record(response);
        for (var hops = 0; hops < 10 && response.StatusCode is HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.Redirect; hops++)
        {
            var location = response.Headers.Location!;
            var absolute = location.IsAbsoluteUri ? location : new Uri(_origin, location);
            if (absolute.GetLeftPart(UriPartial.Authority) != _origin.GetLeftPart(UriPartial.Authority))
            {
                break;
            }

            Visited.Add(absolute);
            response = await _http.GetAsync(absolute);
            Record(response);
        }

        Last = response;
        Html = response.Content.Headers.ContentType?.MediaType == "text/html" ? await response.Content.ReadAsStringAsync() : "";
        return response;
    }

    private void Record(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            SetCookieHeaders.AddRange(values);
        }
    }

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]+)\"[^>]*>.*?</form>", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenPattern();

    public void Dispose() => _http.Dispose();
}
