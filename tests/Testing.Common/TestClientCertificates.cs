using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OAuthAspire.Testing;

/// <summary>
/// Client certificates for the mutual-TLS tests (RFC 8705), made in memory: a test authority, which
/// the system under test trusts for <c>tls_client_auth</c> (<see cref="AuthorityFile"/>, given to the
/// AppHost as <c>Mtls:ClientAuthorities</c>), and certificates it issues or that sign themselves, each
/// with its private key so a client can present it.
/// </summary>
public static class TestClientCertificates
{
    private static readonly ECDsa AuthorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static X509Certificate2 Authority { get; } = CreateAuthority("CN=OAuthAspire Test Client CA, O=Example", AuthorityKey);

    /// <summary>The authority's certificate as a PEM file (written once per process).</summary>
    public static string AuthorityFile { get; } = WriteAuthority();

    /// <summary>A certificate from <see cref="Authority"/> (client authentication), optionally with SAN entries.</summary>
    public static X509Certificate2 Issued(string subject, Action<SubjectAlternativeNameBuilder>? names = null, X509Certificate2? issuer = null,
        ECDsa? issuerKey = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (names is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            names(builder);
            request.CertificateExtensions.Add(builder.Build());
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create((issuer ?? Authority).SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey ?? AuthorityKey),
            now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12).Select((b, i) => i == 0 ? (byte)((b & 0x7F) | 1) : b).ToArray());
        return Exportable(issued.CopyWithPrivateKey(key));
    }

    /// <summary>A self-signed client certificate, as <c>self_signed_tls_client_auth</c> registers.</summary>
    public static X509Certificate2 SelfSigned(string subject = "CN=self-signed-client")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        return Exportable(certificate);
    }

    /// <summary>An authority nobody trusts, and a certificate from it with the same subject as a trusted one.</summary>
    public static X509Certificate2 FromUntrustedAuthority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogue = CreateAuthority(Authority.Subject, key);
        return Issued(subject, issuer: rogue, issuerKey: key);
    }

    /// <summary>Writes the certificate and its private key as PEM files (for clients outside .NET); their paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        var certificatePath = Path.Combine(directory, name + ".crt");
        var keyPath = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The certificate has no EC private key.");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    /// <summary>The certificate's DER as base64, as the admin API takes it.</summary>
    public static string Base64(X509Certificate2 certificate) => Convert.ToBase64String(certificate.RawData);

    private static X509Certificate2 CreateAuthority(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    // SslStream presents a certificate whose key it can use: a PKCS#12 round trip gives it one on every platform.
    private static X509Certificate2 Exportable(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private static string WriteAuthority()
    {
        var path = Path.Combine(Path.GetTempPath(), $"oauthaspire-test-client-ca-{Environment.ProcessId}-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }
}
