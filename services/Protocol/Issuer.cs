using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace OAuthAspire.Protocol;

/// <summary>
/// The issuer identifier (RFC 8414 §2): one exact string, compared by simple string equality,
/// so it is validated once from configuration and never derived from a request.
/// </summary>
public sealed record Issuer
{
    private Issuer(string value) => Value = value;

    /// <summary>The exact issuer string, without a trailing slash.</summary>
    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>An absolute URL under the issuer, e.g. <c>/oauth/token</c>.</summary>
    public string Url(string path) => Value + path;

    /// <summary>
    /// Accepts an https URL with no query, fragment or trailing slash; http only for a loopback
    /// host, and only when <paramref name="allowHttpLoopback"/> (development).
    /// </summary>
    public static bool TryCreate(string? value, bool allowHttpLoopback, [NotNullWhen(true)] out Issuer? issuer, [NotNullWhen(false)] out string? error)
    {
        issuer = null;
        error = Check(value, allowHttpLoopback);
        if (error is not null)
        {
            return false;
        }

        issuer = new Issuer(value!);
        return true;
    }

    public static Issuer Create(string? value, bool allowHttpLoopback) =>
        TryCreate(value, allowHttpLoopback, out var issuer, out var error)
            ? issuer
            : throw new ArgumentException($"Invalid issuer '{value}': {error}", nameof(value));

    private static string? Check(string? value, bool allowHttpLoopback)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "the issuer is required";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return "the issuer must be an absolute URL";
        }

        if (value.EndsWith('/'))
        {
            return "the issuer must not end with a slash";
        }

        if (value.Contains('?') || value.Contains('#'))
        {
            return "the issuer must not have a query or fragment";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "the issuer must not carry user information";
        }

        return uri.Scheme switch
        {
            "https" => null,
            "http" when allowHttpLoopback && IsLoopback(uri) => null,
            "http" => "the issuer must use https (http only for a loopback host in development)",
            _ => "the issuer must be an https URL",
        };
    }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
