using System.Net;
using System.Text.RegularExpressions;

namespace OAuthAspire.Protocol.Clients;

/// <summary>What an OAuth application registration may hold.</summary>
public static partial class ClientRules
{
    public const int MaxAccessTokenLifespan = 86_400;
    public const int MaxRefreshTokenLifespan = 31_536_000 * 2;

    [GeneratedRegex("^[A-Za-z0-9._~-]{8,128}$")]
    private static partial Regex ClientIdPattern();

    public static bool IsValidClientId(string? clientId) => clientId is not null && ClientIdPattern().IsMatch(clientId);

    /// <summary>
    /// Redirect URIs are compared by exact string, so they must be exact to begin with: absolute,
    /// no fragment (RFC 6749 §3.1.2), https, or http on a loopback host (RFC 8252 §7.3), or for a
    /// public (native) client a private-use scheme in reverse-domain form (RFC 8252 §7.1).
    /// </summary>
    /// <returns>Null when acceptable, else why not.</returns>
    public static string? CheckRedirectUri(string? value, bool publicClient)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 2048)
        {
            return "must be an absolute URI of at most 2048 characters";
        }

        if (value.Contains('#'))
        {
            return "must not contain a fragment";
        }

        if (value.Contains('*'))
        {
            return "must not contain wildcards";
        }

        if (value.Any(char.IsWhiteSpace) || !Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URI";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not carry user information";
        }

        switch (uri.Scheme)
        {
            case "https":
                return null;
            case "http":
                return IsLoopback(uri) ? null : "http is allowed only for a loopback host (127.0.0.1, [::1] or localhost)";
            default:
                if (!publicClient)
                {
                    return "must use https (or http on a loopback host)";
                }

                // RFC 8252 §7.1: a private-use scheme based on a domain name the app controls.
                return uri.Scheme.Contains('.') ? null : "a private-use scheme must be in reverse-domain form, e.g. com.example.app";
        }
    }

    public static bool IsLoopback(Uri uri) =>
        uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Null when the grant types are known and fit the client type.</summary>
    public static string? CheckGrantTypes(IReadOnlyCollection<string> grantTypes, bool publicClient)
    {
        var unknown = grantTypes.FirstOrDefault(g => !GrantTypes.All.Contains(g));
        if (unknown is not null)
        {
            return $"unknown grant type '{unknown}'";
        }

        if (publicClient)
        {
            var forbidden = grantTypes.FirstOrDefault(g => !GrantTypes.AllowedForPublicClients.Contains(g));
            if (forbidden is not null)
            {
                return $"a public client may not use '{forbidden}' (only authorization_code, refresh_token, implicit and the device code grant)";
            }
        }

        return null;
    }
}
