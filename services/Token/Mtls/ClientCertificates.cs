using System.Security.Cryptography.X509Certificates;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Token.Mtls;

/// <summary>
/// Mutual TLS at the token service (RFC 8705). The TLS connection ends at the edge, which hands the
/// client certificate over in the RFC 9440 <c>Client-Cert</c> header; the header is believed only on
/// a request carrying the edge's own identity (ServiceDefaults' EdgeTrust drops it from anyone else).
/// Client certificates of <c>tls_client_auth</c> must chain to one of the authorities configured in
/// <c>Mtls:ClientAuthorities</c> (a PEM file of CA certificates); none configured, that method fails.
/// </summary>
public sealed class ClientCertificates
{
    public const string AuthoritiesKey = "Mtls:ClientAuthorities";

    private const string Item = "oauthaspire.client-certificate";

    private readonly X509Certificate2Collection _authorities;
    private readonly TimeProvider _time;

    /// <param name="authorities">What <see cref="LoadAuthorities"/> read.</param>
    public ClientCertificates(X509Certificate2Collection authorities, TimeProvider time)
    {
        _authorities = authorities;
        _time = time;
    }

    /// <summary>Whether any authority is trusted: without one, <c>tls_client_auth</c> authenticates nobody.</summary>
    public bool TrustsAuthorities => _authorities.Count > 0;

    /// <summary>
    /// The authorities in <c>Mtls:ClientAuthorities</c>, read while the service starts: a missing or
    /// empty file stops the start rather than every request (a server that silently trusted no CA
    /// would refuse each such client).
    /// </summary>
    public static X509Certificate2Collection LoadAuthorities(IConfiguration configuration)
    {
        var authorities = new X509Certificate2Collection();
        if (configuration[AuthoritiesKey] is { Length: > 0 } path)
        {
            authorities.ImportFromPemFile(path);
            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"{AuthoritiesKey} ({path}) holds no certificate.");
            }
        }

        return authorities;
    }

    /// <summary>The certificate the caller presented to the edge; null when none, or not forwarded by the edge.</summary>
    public static X509Certificate2? Of(HttpContext http)
    {
        if (http.Items.TryGetValue(Item, out var known))
        {
            return known as X509Certificate2;
        }

        var header = http.Request.Headers[ClientCertHeader.Name];
        var certificate = header.Count == 1 && http.IsFromEdge() ? ClientCertHeader.Parse(header[0]) : null;
        if (certificate is not null)
        {
            http.Response.RegisterForDispose(certificate);
        }

        http.Items[Item] = certificate;
        return certificate;
    }

    /// <summary>
    /// Whether the certificate authenticates the client: <c>tls_client_auth</c> (chains to a trusted
    /// authority and carries the registered subject value) or <c>self_signed_tls_client_auth</c> (is one
    /// of the registered certificates, within its validity).
    /// </summary>
    /// <param name="rule">The client's <c>tls_client_auth</c> rule; null when it registered none.</param>
    /// <param name="thumbprints">The <c>x5t#S256</c> of its registered self-signed certificates.</param>
    public bool Authenticates(TlsClientAuthRule? rule, IReadOnlyList<string> thumbprints, X509Certificate2 certificate)
    {
        var now = _time.GetUtcNow();
        if (rule is not null && ClientCertificateMatch.MatchesRule(certificate, rule)
            && ClientCertificateMatch.ChainsTo(certificate, _authorities, now))
        {
            return true;
        }

        if (thumbprints.Count == 0 || !ClientCertificateMatch.IsWithinValidity(certificate, now))
        {
            return false;
        }

        // Registered certificates are public: an ordinary comparison leaks nothing.
        return thumbprints.Contains(MtlsProtocol.Thumbprint(certificate), StringComparer.Ordinal);
    }
}
