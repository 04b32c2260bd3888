using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 8705 §3.1: the <c>x5t#S256</c> thumbprint and the check of a bound token against the presented certificate.</summary>
public class MtlsProtocolTests
{
    private static readonly X509Certificate2 Client = MtlsCertificates.SelfSigned("CN=client-a");
    private static readonly X509Certificate2 Other = MtlsCertificates.SelfSigned("CN=client-b");

    // Written out here rather than through a library: base64url is base64 with two letters swapped and no padding.
    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public void TheMethodNamesAreTheRegisteredOnes()
    {
        Assert.Equal("tls_client_auth", MtlsProtocol.TlsClientAuth);
        Assert.Equal("self_signed_tls_client_auth", MtlsProtocol.SelfSignedTlsClientAuth);
    }

    [Fact]
    public void TheThumbprintIsBase64UrlOfTheSha256OfTheDer()
    {
        var thumbprint = MtlsProtocol.Thumbprint(Client);

        Assert.Equal(Base64Url(SHA256.HashData(Client.RawData)), thumbprint);
        Assert.Equal(Base64Url(Client.GetCertHash(HashAlgorithmName.SHA256)), thumbprint);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", thumbprint);
    }

    [Fact]
    public void TheThumbprintDependsOnTheCertificateNotOnTheObject()
    {
        using var reloaded = X509CertificateLoader.LoadCertificate(Client.RawData);
        Assert.Equal(MtlsProtocol.Thumbprint(Client), MtlsProtocol.Thumbprint(reloaded));
        Assert.NotEqual(MtlsProtocol.Thumbprint(Client), MtlsProtocol.Thumbprint(Other));
    }

    [Fact]
    public void ABoundTokenMatchesTheCertificateItWasBoundTo() =>
        Assert.True(MtlsProtocol.Matches(MtlsProtocol.Thumbprint(Client), Client));

    [Fact]
    public void ABoundTokenDoesNotMatchAnotherCertificate() =>
        Assert.False(MtlsProtocol.Matches(MtlsProtocol.Thumbprint(Client), Other));

    [Fact]
    public void NoCertificateOrNoConfirmationNeverMatches()
    {
        Assert.False(MtlsProtocol.Matches(MtlsProtocol.Thumbprint(Client), null));
        Assert.False(MtlsProtocol.Matches(null, Client));
        Assert.False(MtlsProtocol.Matches("", Client));
        Assert.False(MtlsProtocol.Matches(null, null));
    }

    [Fact]
    public void OnlyTheExactBase64UrlFormMatches()
    {
        var hash = SHA256.HashData(Client.RawData);
        var thumbprint = MtlsProtocol.Thumbprint(Client);
        var flipped = (thumbprint[0] == 'A' ? 'B' : 'A') + thumbprint[1..];

        Assert.False(MtlsProtocol.Matches(flipped, Client));
        Assert.False(MtlsProtocol.Matches(thumbprint + "=", Client));
        Assert.False(MtlsProtocol.Matches(thumbprint[..^1], Client));
        Assert.False(MtlsProtocol.Matches(Convert.ToHexString(hash), Client));
        // The SHA-1 thumbprint Windows shows is not the confirmation value.
        Assert.False(MtlsProtocol.Matches(Base64Url(Client.GetCertHash()), Client));
    }

    [Fact]
    public void AResourceServerPassesAnUnboundTokenAndOneWithItsCertificateOnly()
    {
        var certificate = MtlsCertificates.SelfSigned();
        var thumbprint = MtlsProtocol.Thumbprint(certificate);

        Assert.Null(MtlsProtocol.Unproven(null, null));
        Assert.Null(MtlsProtocol.Unproven(thumbprint, certificate));
        Assert.Contains("mutual TLS", MtlsProtocol.Unproven(thumbprint, null));
        Assert.Contains("another client certificate", MtlsProtocol.Unproven(thumbprint, MtlsCertificates.SelfSigned()));
    }

    [Fact]
    public void TheAliasesAreTheEndpointsOnTheMutualTlsOrigin()
    {
        var aliases = MtlsEndpointAliases.ForOrigin("https://mtls.example.com:8444/ignored/path")!;

        Assert.Equal("https://mtls.example.com:8444/oauth/token", aliases.TokenEndpoint);
        Assert.Equal("https://mtls.example.com:8444/oauth/userinfo", aliases.UserinfoEndpoint);
        Assert.Equal("https://mtls.example.com:8444/oauth/device_authorization", aliases.DeviceAuthorizationEndpoint);
        Assert.Equal("https://mtls.example.com:8444", aliases.Origin);
        Assert.Null(MtlsEndpointAliases.ForOrigin(null));
        Assert.Throws<InvalidOperationException>(() => MtlsEndpointAliases.ForOrigin("http://mtls.example.com"));
    }
}
