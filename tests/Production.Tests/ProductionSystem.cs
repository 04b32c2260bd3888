using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OAuthAspire.Testing;

namespace OAuthAspire.Production.Tests;

/// <summary>
/// The system in the Production environment with the edge serving HTTPS under a certificate made
/// for this run (localhost), which only this fixture's clients trust: the issuer is https://.
/// </summary>
public sealed class ProductionSystem : SystemFixture
{
    private readonly string _certificatePath = Path.Combine(Path.GetTempPath(), $"oauthaspire-edge-{Guid.NewGuid():N}.pfx");
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly X509Certificate2 _certificate;

    public ProductionSystem()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(_certificatePath, created.Export(X509ContentType.Pfx, _password));
        _certificate = X509CertificateLoader.LoadCertificate(created.Export(X509ContentType.Cert));
    }

    protected override string EdgeEndpoint => "https";

    protected override string[] ExtraArguments =>
    [
        "--environment=Production",
        $"--Edge:Certificate:Path={_certificatePath}",
        $"--Edge:Certificate:Password={_password}",
        "--Edge:HttpsPort=0",
        // Self-registration as deployed by default: off.
        "--Registration:Mode=off",
    ];

    /// <summary>Trusts exactly the certificate made for this run.</summary>
    public override RemoteCertificateValidationCallback? EdgeCertificateValidation =>
        (_, presented, _, _) => presented is not null && presented.GetCertHashString() == _certificate.GetCertHashString();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _certificate.Dispose();
        File.Delete(_certificatePath);
    }
}

[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<ProductionSystem>
{
    public const string Name = "production";
}
