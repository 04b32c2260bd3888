using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OAuthAspire.AppHost;

/// <summary>
/// TLS between our services when the issuer is HTTPS: an authority made by the AppHost at each
/// start, whose key lives only in the AppHost's memory, and one server certificate per service
/// (localhost and the service's name) written with its key to a directory only this OS user can
/// read. Services are given their own certificate and the authority's public certificate, which is
/// all a caller trusts for internal hops (ServiceDefaults' InternalTls).
/// </summary>
public sealed class InternalCertificates : IDisposable
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(30);

    private readonly ECDsa _authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _authority;
    private readonly string _directory;

    public InternalCertificates(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var request = new CertificateRequest("CN=OAuthAspire internal authority", _authorityKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        _authority = request.CreateSelfSigned(now.AddMinutes(-5), now + Validity);
        AuthorityPem = _authority.ExportCertificatePem();
        // Public: what a client outside (curl --cacert) trusts to reach a listener with these certificates.
        AuthorityPath = Path.Combine(directory, "authority.crt");
        File.WriteAllText(AuthorityPath, AuthorityPem);
    }

    /// <summary>The file holding <see cref="AuthorityPem"/>.</summary>
    public string AuthorityPath { get; }

    /// <summary>The authority's certificate (public), which callers trust for internal hops.</summary>
    public string AuthorityPem { get; }

    /// <summary>Issues <paramref name="service"/>'s server certificate; the paths of its certificate and key files.</summary>
    public (string Certificate, string Key) Issue(string service)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={service}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(service);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_authority, true, false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(_authority, now.AddMinutes(-5), _authority.NotAfter.ToUniversalTime(), RandomNumberGenerator.GetBytes(16));

        var certificate = Path.Combine(_directory, $"{service}.crt");
        var keyFile = Path.Combine(_directory, $"{service}.key");
        Write(certificate, issued.ExportCertificatePem());
        Write(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificate, keyFile);
    }

    private static void Write(string path, string content)
    {
        // Created empty with owner-only access before the key goes in.
        File.WriteAllText(path, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, content);
    }

    public void Dispose()
    {
        _authority.Dispose();
        _authorityKey.Dispose();
    }
}
