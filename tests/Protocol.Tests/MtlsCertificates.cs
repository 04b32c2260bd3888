using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OAuthAspire.Protocol.Tests;

/// <summary>Client certificates made in memory for the mutual-TLS tests: no files, no certificate store.</summary>
internal static class MtlsCertificates
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static readonly Lazy<X509Certificate2> LazyAuthority = new(CreateAuthority);

    /// <summary>A test CA, valid well around <see cref="Now"/>, that issues the CA-signed client certificates.</summary>
    public static X509Certificate2 Authority => LazyAuthority.Value;

    /// <summary>A self-signed certificate, valid a day either side of <see cref="Now"/> unless told otherwise.</summary>
    public static X509Certificate2 SelfSigned(
        string subject = "CN=self-signed-client",
        AsymmetricAlgorithm? key = null,
        Action<CertificateRequest>? configure = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null)
    {
        var request = Request(subject, key ?? ECDsa.Create(ECCurve.NamedCurves.nistP256));
        configure?.Invoke(request);
        return request.CreateSelfSigned(notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddDays(1));
    }

    /// <summary>A certificate issued by <see cref="Authority"/>, as a <c>tls_client_auth</c> client holds.</summary>
    public static X509Certificate2 Issued(string subject, Action<SubjectAlternativeNameBuilder>? names = null, Action<CertificateRequest>? extensions = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(subject, key);
        extensions?.Invoke(request);
        if (names is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            names(builder);
            request.CertificateExtensions.Add(builder.Build());
        }

        // Only the public part is needed: the tests match certificates, they do not sign with them.
        return request.Create(Authority, Now.AddDays(-1), Now.AddDays(1), SerialNumber());
    }

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("Only ECDsa and RSA keys.", nameof(key)),
    };

    private static X509Certificate2 CreateAuthority()
    {
        var request = Request("CN=Test Client CA, O=Example, C=DE", ECDsa.Create(ECCurve.NamedCurves.nistP256));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(Now.AddDays(-30), Now.AddDays(30));
    }

    // Positive and minimal in DER: the first byte is 0x01..0x7F.
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
