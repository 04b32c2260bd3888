using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OAuthAspire.Protocol.Clients;

/// <summary>
/// The browser origins (RFC 6454) a client's pages run on: the public endpoints answer their
/// cross-origin requests (CORS). An origin is held exactly as a browser sends it in <c>Origin</c>
/// (lower-case scheme and host, no default port, nothing after the authority), so deciding is one
/// ordinal comparison and never a pattern.
/// </summary>
public static class WebOrigins
{
    public const int MaxCount = 100;

    private const int MaxLength = 2048;

    private const string Shape = "must be an origin: scheme://host[:port] with no path, query or trailing slash";

    /// <summary>
    /// Accepts an https origin, or http on a loopback host (as redirect URIs); never a wildcard,
    /// user information, a non-ASCII host (give its punycode form) or anything after the port.
    /// </summary>
    public static bool TryNormalize(string? value, [NotNullWhen(true)] out string? origin, [NotNullWhen(false)] out string? error)
    {
        origin = null;
        error = Check(value, out var uri);
        if (error is not null)
        {
            return false;
        }

        origin = Serialize(uri!);
        return true;
    }

    /// <summary>The origin of a redirect URI that a browser page can have (https, or http on a loopback host); else null.</summary>
    public static string? OfRedirectUri(string? redirectUri) =>
        Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri) && IsWebScheme(uri) && uri.UserInfo.Length == 0 && IsAscii(uri.Host)
            ? Serialize(uri)
            : null;

    /// <summary>
    /// The distinct origins of the redirect URIs, in their order: what a client that names no
    /// origins gets (Keycloak's "web origins" default), so a single-page app needs no extra setting.
    /// Private-use schemes (native apps) have no origin and add none.
    /// </summary>
    public static string[] DefaultFor(IEnumerable<string> redirectUris) =>
        redirectUris.Select(OfRedirectUri).OfType<string>().Distinct(StringComparer.Ordinal).Take(MaxCount).ToArray();

    /// <summary>An absolute http(s) URL's origin as a browser serializes it (the default port left out).</summary>
    public static string Serialize(Uri uri) =>
        uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";

    private static string? Check(string? value, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxLength)
        {
            return $"must be an origin of at most {MaxLength} characters, e.g. https://app.example.com";
        }

        if (value.Contains('*'))
        {
            return "must not contain wildcards: name each origin";
        }

        if (!IsAscii(value) || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "must be ASCII without spaces (give an international host in its punycode form)";
        }

        // Whatever follows "scheme://" is the authority alone: a path, even "/", a query or a fragment is not part of an origin.
        var authorityStart = value.IndexOf("://", StringComparison.Ordinal);
        if (authorityStart <= 0 || value.IndexOfAny(['/', '?', '#', '\\'], authorityStart + 3) >= 0 || !Uri.TryCreate(value, UriKind.Absolute, out uri))
        {
            return Shape;
        }

        if (value.IndexOfAny(['@', '%'], authorityStart + 3) >= 0 || uri.UserInfo.Length > 0 || uri.Host.Length == 0)
        {
            return Shape;
        }

        return IsWebScheme(uri) ? null : "must use https (or http on a loopback host)";
    }

    private static bool IsWebScheme(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && ClientRules.IsLoopback(uri));

    private static bool IsAscii(string value) => value.All(char.IsAscii);
}
