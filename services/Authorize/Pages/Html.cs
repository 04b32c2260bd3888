using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Authorize.Pages;

/// <summary>
/// Plain server-rendered pages: no JavaScript needed, labelled fields, one column, high contrast.
/// Every page is sent with a CSP that forbids framing and limits where its forms may post.
/// </summary>
public static class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    public static string E(string? value) => Encoder.Encode(value ?? "");

    /// <summary>A full page; <paramref name="formTargets"/> are the origins its forms (and their redirects) may reach.</summary>
    /// <param name="wide">A page with a table (the account page): a wider column.</param>
    public static IResult Page(string title, string body, int status = 200, IEnumerable<string>? formTargets = null, string? scriptNonce = null,
        bool wide = false) =>
        new PageResult(status, $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{{E(title)}} · OAuthAspire</title>
            <link rel="stylesheet" href="{{StylesheetPath}}">
            </head>
            <body>
            <main{{(wide ? " class=\"wide\"" : "")}}>
            {{body}}
            </main>
            </body>
            </html>
            """, Csp(formTargets, scriptNonce));

    public static IResult ErrorPage(string title, string message, int status = 400) =>
        Page(title, $"""
            <h1>{E(title)}</h1>
            <p role="alert">{E(message)}</p>
            <p>You can close this window and return to the application.</p>
            """, status);

    /// <summary>The application's logo on a consent page, when it has one.</summary>
    public static string Logo(string? url) => url is null ? "" : $"""<img src="{E(url)}" alt="">""";

    /// <summary>The warning on a consent page for an application that registered itself, or nothing.</summary>
    /// <param name="documentHost">For a client described by its own metadata document: the host that published it, the one thing known for sure.</param>
    public static string UnverifiedNote(bool unverified, string? documentHost = null) =>
        !unverified ? ""
        : documentHost is not null
            ? $"""<p class="unverified" role="note"><strong>Unverified application from {E(documentHost)}.</strong> Its name is its own claim, not checked by your administrator.</p>"""
            : """<p class="unverified" role="note"><strong>Unverified application.</strong> It registered itself: its name is its own claim, not checked by your administrator.</p>""";

    /// <summary>What each scope lets the application do, in words, with the scope's name; none: only that the user signed in.</summary>
    public static string ScopeItems(IReadOnlyCollection<string> scopes, IReadOnlyDictionary<string, string> descriptions) =>
        scopes.Count == 0
            ? "<li>Know that you signed in</li>"
            : string.Concat(scopes.Select(s => $"<li>{E(descriptions.GetValueOrDefault(s, s))} <small>({E(s)})</small></li>"));

    /// <summary>The CSP source for a redirect target: its origin, or its scheme for a native app's private-use scheme.</summary>
    public static string SourceOf(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u)
            ? u.Scheme is "http" or "https" ? u.GetLeftPart(UriPartial.Authority) : $"{u.Scheme}:"
            : "'none'";

    public static string NewNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    private static string Csp(IEnumerable<string>? formTargets, string? scriptNonce)
    {
        var forms = string.Join(' ', new[] { "'self'" }.Concat(formTargets ?? []).Distinct());
        var script = scriptNonce is null ? "" : $" script-src 'nonce-{scriptNonce}';";
        return $"default-src 'none'; style-src 'self'; img-src 'self' https: data:;{script} form-action {forms}; frame-ancestors 'none'; base-uri 'none'";
    }

    private sealed class PageResult(int status, string html, string csp) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.ContentSecurityPolicy = csp;
            return context.Response.WriteAsync(html, Encoding.UTF8, context.RequestAborted);
        }
    }

    /// <summary>Where every page finds <see cref="Stylesheet"/>.</summary>
    public const string StylesheetPath = MetadataBuilder.Paths.Assets + "/site.css";

    public const string Stylesheet = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #f4f5f7; }
        main { max-width: 26rem; margin: 8vh auto; padding: 2rem; background: #fff; border: 1px solid #c9ccd1; border-radius: 8px; }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; }
        label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
        input[type=text], input[type=password] { width: 100%; padding: .6rem; font-size: 1rem; border: 1px solid #5f6368; border-radius: 4px; }
        input:focus, button:focus { outline: 3px solid #1a5fb4; outline-offset: 2px; }
        button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 4px; border: 1px solid #1a5fb4; cursor: pointer; }
        button.primary { background: #1a5fb4; color: #fff; }
        button.secondary { background: #fff; color: #1a5fb4; }
        .error { color: #a4000f; background: #fdecee; border: 1px solid #a4000f; padding: .5rem .75rem; border-radius: 4px; }
        .client { display: flex; align-items: center; gap: .75rem; margin-bottom: 1rem; }
        .client img { width: 48px; height: 48px; object-fit: contain; }
        .unverified { color: #6b3e00; background: #fff4e0; border: 1px solid #8a5a00; padding: .5rem .75rem; border-radius: 4px; }
        ul.scopes { padding-left: 1.25rem; }
        ul.scopes li { margin: .35rem 0; }
        .actions { display: flex; gap: .75rem; align-items: baseline; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        main.wide { max-width: 56rem; }
        table { width: 100%; border-collapse: collapse; margin: .5rem 0 1rem; }
        caption { text-align: left; font-weight: 600; margin-bottom: .25rem; }
        th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid #c9ccd1; }
        .notice { color: #0b4f1c; background: #e8f5ec; border: 1px solid #1e7b34; padding: .5rem .75rem; border-radius: 4px; }
        .confirm { border: 1px solid #a4000f; border-radius: 4px; padding: .5rem 1rem; margin: 1rem 0; }
        """;
}
