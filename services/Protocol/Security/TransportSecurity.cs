namespace OAuthAspire.Protocol.Security;

/// <summary>RFC 6797 (HSTS) for the issuer's origin.</summary>
public static class TransportSecurity
{
    /// <summary>One year, subdomains included: what HSTS preload lists ask for.</summary>
    public const string HstsValue = "max-age=31536000; includeSubDomains";

    /// <summary>
    /// HSTS is sent when the issuer is HTTPS, except in development (where a developer's
    /// browser would otherwise remember it for localhost). Over plain HTTP it means nothing (RFC 6797 §8.1).
    /// </summary>
    public static bool SendsHsts(Uri issuer, bool development) => issuer.Scheme == Uri.UriSchemeHttps && !development;
}
