namespace OAuthAspire.Protocol.Discovery;

/// <summary>
/// Where the admin console lives on the issuer, and the confidential client it signs administrators
/// in with (registered once by the client registry, its secret the AppHost's <c>console-client-secret</c>).
/// </summary>
public static class AdminConsoleApp
{
    public const string Path = "/console";

    public const string ClientId = "oauthaspire-console";

    /// <summary>The redirect URI's path: <c>{issuer}/console/signin-oidc</c>.</summary>
    public const string CallbackPath = Path + "/signin-oidc";

    /// <summary>The post-logout redirect URI's path.</summary>
    public const string SignedOutCallbackPath = Path + "/signout-callback-oidc";

    /// <summary>Every cookie of the console starts with it; the edge passes the console no other (the issuer's session is not its).</summary>
    public const string CookiePrefix = "oauthaspire-console";

    /// <summary>
    /// The console's pages run no script at all (server-rendered forms): styles from the console only,
    /// forms posting only to this origin, never framed. Sent by the console and enforced again by the edge.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";

    /// <summary>What it asks for: who signed in, and the admin API (granted to administrators only).</summary>
    public static readonly string[] Scopes = ["openid", "profile", "admin.api"];

    /// <summary>The page a browser without a session is sent to.</summary>
    public const string SignInPath = Path + "/sign-in";

    /// <summary>
    /// Where to go after signing in: a page of the console named by its path (an absolute URL keeps its
    /// path only: it names the console's own address, not the issuer's), never another site, the issuer's
    /// pages or the sign-in page itself; anything else is the console's home.
    /// </summary>
    public static string ReturnPath(string? returnUrl)
    {
        const string Home = Path + "/";
        if (string.IsNullOrEmpty(returnUrl) || returnUrl.StartsWith("//", StringComparison.Ordinal) || returnUrl.Contains('\\')
            || !Uri.TryCreate(returnUrl, UriKind.RelativeOrAbsolute, out var uri))
        {
            return Home;
        }

        var path = uri.IsAbsoluteUri ? uri.PathAndQuery : returnUrl;
        // Dot segments (plain or encoded) could climb out of /console/ once the browser resolves them.
        var climbs = path.Contains("/.", StringComparison.Ordinal) || path.Contains("%2e", StringComparison.OrdinalIgnoreCase);
        return path.StartsWith(Home, StringComparison.Ordinal) && !climbs && !path.StartsWith(SignInPath, StringComparison.Ordinal) ? path : Home;
    }
}
