using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 8705 §2.1.2 and §2.2: whether a presented client certificate is the one the client registered.</summary>
public class ClientCertificateMatchTests
{
    private const string Subject = "CN=client.example.com, O=Example, C=DE";

    private static readonly X509Certificate2 BySubject = MtlsCertificates.Issued(Subject);

    private static readonly X509Certificate2 WithNames = MtlsCertificates.Issued("CN=named-client", names =>
    {
        names.AddDnsName("client.example.com");
        names.AddUri(new Uri("https://client.example.com/app"));
        names.AddIpAddress(IPAddress.Parse("192.0.2.10"));
        names.AddIpAddress(IPAddress.Parse("2001:db8::1"));
        names.AddEmailAddress("client@example.com");
    });

    private static TlsClientAuthRule Rule(string kind, string value) => kind switch
    {
        "dn" => new(value, null, null, null, null),
        "dns" => new(null, value, null, null, null),
        "uri" => new(null, null, value, null, null),
        "ip" => new(null, null, null, value, null),
        "email" => new(null, null, null, null, value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // --- tls_client_auth: subject DN ---

    [Theory]
    [InlineData("CN=client.example.com, O=Example, C=DE")]
    [InlineData("CN=client.example.com,O=Example,C=DE")]
    [InlineData("CN = client.example.com ,   O=Example ,C=DE")]
    [InlineData("CN=CLIENT.example.COM, O=example, C=de")]
    [InlineData("CN=client.example.com; O=Example; C=DE")]
    public void TheSameDistinguishedNameMatchesHoweverItIsSpacedOrCased(string dn) =>
        Assert.True(ClientCertificateMatch.MatchesRule(BySubject, Rule("dn", dn)));

    [Theory]
    [InlineData("C=DE, O=Example, CN=client.example.com")]
    [InlineData("O=Example, CN=client.example.com, C=DE")]
    [InlineData("CN=other.example.com, O=Example, C=DE")]
    [InlineData("CN=client.example.com, O=Example")]
    [InlineData("CN=client.example.com, O=Example, C=DE, OU=Extra")]
    [InlineData("CN=client.example.com, O=Exam ple, C=DE")]
    [InlineData("CN=client.example.com, OU=Example, C=DE")]
    [InlineData("CN=client.example.co, O=Example, C=DE")]
    public void AnotherOrderAnotherValueOrAnotherAttributeDoesNotMatch(string dn) =>
        Assert.False(ClientCertificateMatch.MatchesRule(BySubject, Rule("dn", dn)));

    [Fact]
    public void TheIssuersNameIsNotTheSubjects() =>
        Assert.False(ClientCertificateMatch.MatchesRule(BySubject, Rule("dn", MtlsCertificates.Authority.Subject)));

    [Fact]
    public void RunsOfSpacesInsideAValueAreInsignificant()
    {
        var certificate = MtlsCertificates.Issued("CN=client, O=Example Corp, C=DE");
        Assert.True(ClientCertificateMatch.MatchesRule(certificate, Rule("dn", "CN=client, O=Example   Corp, C=DE")));
        Assert.False(ClientCertificateMatch.MatchesRule(certificate, Rule("dn", "CN=client, O=ExampleCorp, C=DE")));
    }

    [Fact]
    public void AnInvalidRuleMatchesNothing()
    {
        Assert.False(ClientCertificateMatch.MatchesRule(BySubject, new TlsClientAuthRule(Subject, "client.example.com", null, null, null)));
        Assert.False(ClientCertificateMatch.MatchesRule(BySubject, Rule("dn", "not a distinguished name")));
    }

    // --- tls_client_auth: subject alternative names ---

    [Theory]
    [InlineData("dns", "client.example.com")]
    [InlineData("dns", "CLIENT.Example.com")]
    [InlineData("uri", "https://client.example.com/app")]
    [InlineData("ip", "192.0.2.10")]
    [InlineData("ip", "2001:db8::1")]
    [InlineData("ip", "2001:DB8:0:0:0:0:0:1")]
    [InlineData("email", "client@example.com")]
    [InlineData("email", "client@EXAMPLE.com")]
    public void EachSubjectAlternativeNameKindMatches(string kind, string value) =>
        Assert.True(ClientCertificateMatch.MatchesRule(WithNames, Rule(kind, value)));

    [Theory]
    [InlineData("dns", "other.example.com")]
    [InlineData("dns", "example.com")]
    [InlineData("dns", "client.example.com.evil")]
    [InlineData("uri", "https://client.example.com/other")]
    [InlineData("uri", "https://client.example.com/ap")]
    [InlineData("uri", "https://client.example.com/app/")]
    [InlineData("ip", "192.0.2.11")]
    [InlineData("ip", "2001:db8::2")]
    [InlineData("email", "other@example.com")]
    [InlineData("email", "Client@example.com")]
    [InlineData("email", "client@example.org")]
    public void AnotherValueOfTheSameKindDoesNotMatch(string kind, string value) =>
        Assert.False(ClientCertificateMatch.MatchesRule(WithNames, Rule(kind, value)));

    [Theory]
    [InlineData("dns", "client@example.com")]
    [InlineData("dns", "named-client")]
    [InlineData("uri", "mailto:client@example.com")]
    public void AValueIsLookedForOnlyAmongItsOwnKind(string kind, string value) =>
        Assert.False(ClientCertificateMatch.MatchesRule(WithNames, Rule(kind, value)));

    [Theory]
    [InlineData("dns", "client.example.com")]
    [InlineData("uri", "https://client.example.com/app")]
    [InlineData("ip", "192.0.2.10")]
    [InlineData("email", "client@example.com")]
    public void ACertificateWithoutSubjectAlternativeNamesMatchesNoSanRule(string kind, string value)
    {
        // BySubject's CN is client.example.com: the common name must not stand in for a dNSName.
        Assert.Null(BySubject.Extensions["2.5.29.17"]);
        Assert.False(ClientCertificateMatch.MatchesRule(BySubject, Rule(kind, value)));
    }

    [Fact]
    public void TheUriAndEmailAreReadFromAmongOtherNames()
    {
        // Several entries of each kind, the wanted ones last, so the reader must walk past the others.
        var certificate = MtlsCertificates.Issued("CN=many", names =>
        {
            names.AddDnsName("a.example.com");
            names.AddEmailAddress("first@example.com");
            names.AddUri(new Uri("https://first.example.com/one"));
            names.AddIpAddress(IPAddress.Parse("198.51.100.1"));
            names.AddEmailAddress("second@example.com");
            names.AddUri(new Uri("urn:example:client:second"));
        });

        Assert.True(ClientCertificateMatch.MatchesRule(certificate, Rule("email", "second@example.com")));
        Assert.True(ClientCertificateMatch.MatchesRule(certificate, Rule("uri", "urn:example:client:second")));
        Assert.True(ClientCertificateMatch.MatchesRule(certificate, Rule("email", "first@example.com")));
        Assert.False(ClientCertificateMatch.MatchesRule(certificate, Rule("email", "third@example.com")));
    }

    [Fact]
    public void ACertificateIsValidFromNotBeforeThroughNotAfterInclusive()
    {
        var notBefore = MtlsCertificates.Now.AddHours(-1);
        var notAfter = MtlsCertificates.Now.AddHours(1);
        var certificate = MtlsCertificates.SelfSigned(notBefore: notBefore, notAfter: notAfter);

        Assert.True(ClientCertificateMatch.IsWithinValidity(certificate, MtlsCertificates.Now));
        Assert.True(ClientCertificateMatch.IsWithinValidity(certificate, notBefore));
        Assert.True(ClientCertificateMatch.IsWithinValidity(certificate, notAfter));
        Assert.False(ClientCertificateMatch.IsWithinValidity(certificate, notBefore.AddSeconds(-1)));
        Assert.False(ClientCertificateMatch.IsWithinValidity(certificate, notAfter.AddSeconds(1)));
    }

    [Fact]
    public void ValidityComparesInstantsWhateverTheOffset()
    {
        var notAfter = MtlsCertificates.Now.AddHours(1);
        var certificate = MtlsCertificates.SelfSigned(notBefore: MtlsCertificates.Now.AddHours(-1), notAfter: notAfter);

        // 30 minutes after notAfter, written in UTC+2: the wall-clock reading is later, the instant later still.
        Assert.False(ClientCertificateMatch.IsWithinValidity(certificate, notAfter.AddMinutes(30).ToOffset(TimeSpan.FromHours(2))));
        // 30 minutes before notAfter, written in UTC-5: the wall-clock reading is hours earlier, the instant inside.
        Assert.True(ClientCertificateMatch.IsWithinValidity(certificate, notAfter.AddMinutes(-30).ToOffset(TimeSpan.FromHours(-5))));
    }

    private static X509Certificate2Collection Trusted => [MtlsCertificates.Authority];

    [Fact]
    public void ACertificateIssuedByATrustedAuthorityChainsToIt() =>
        Assert.True(ClientCertificateMatch.ChainsTo(MtlsCertificates.Issued("CN=tls-app"), Trusted, MtlsCertificates.Now));

    [Fact]
    public void ASelfSignedCertificateChainsToNoAuthorityEvenWithItsNames() =>
        Assert.False(ClientCertificateMatch.ChainsTo(MtlsCertificates.SelfSigned(MtlsCertificates.Authority.Subject), Trusted, MtlsCertificates.Now));

    [Fact]
    public void TheAuthorityItselfIsNoClient() =>
        Assert.False(ClientCertificateMatch.ChainsTo(MtlsCertificates.Authority, Trusted, MtlsCertificates.Now));

    [Fact]
    public void AnExpiredCertificateDoesNotChain() =>
        Assert.False(ClientCertificateMatch.ChainsTo(MtlsCertificates.Issued("CN=tls-app"), Trusted, MtlsCertificates.Now.AddDays(2)));

    [Fact]
    public void NoAuthorityConfiguredTrustsNothing() =>
        Assert.False(ClientCertificateMatch.ChainsTo(MtlsCertificates.Issued("CN=tls-app"), [], MtlsCertificates.Now));

    [Fact]
    public void ACertificateForServersOnlyIsNoClientCertificate()
    {
        var serverOnly = MtlsCertificates.Issued("CN=tls-app", extensions: request =>
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)));

        Assert.False(ClientCertificateMatch.ChainsTo(serverOnly, Trusted, MtlsCertificates.Now));
    }

    [Fact]
    public void AnIntermediateHelpsBuildTheChainButIsNoAnchorOfItsOwn()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(MtlsCertificates.Now.AddDays(-10), MtlsCertificates.Now.AddDays(10));
        var intermediateRequest = new CertificateRequest("CN=Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var intermediate = intermediateRequest.Create(root, MtlsCertificates.Now.AddDays(-5), MtlsCertificates.Now.AddDays(5), [0x11, 0x22]);
        using var leaf = new CertificateRequest("CN=tls-app", leafKey, HashAlgorithmName.SHA256)
            .Create(intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(intermediateKey), MtlsCertificates.Now.AddDays(-1), MtlsCertificates.Now.AddDays(1), [0x33, 0x44]);

        Assert.True(ClientCertificateMatch.ChainsTo(leaf, [root, intermediate], MtlsCertificates.Now));
        Assert.False(ClientCertificateMatch.ChainsTo(leaf, [intermediate], MtlsCertificates.Now));
        Assert.False(ClientCertificateMatch.ChainsTo(leaf, [root], MtlsCertificates.Now));
    }

    [Fact]
    public void ANotYetValidCertificateDoesNotChain() =>
        Assert.False(ClientCertificateMatch.ChainsTo(MtlsCertificates.Issued("CN=tls-app"), Trusted, MtlsCertificates.Now.AddDays(-2)));
}
