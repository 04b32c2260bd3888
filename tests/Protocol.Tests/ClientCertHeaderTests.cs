using System.Security.Cryptography.X509Certificates;
using System.Text;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9440 §2.2: the Client-Cert header is one Structured Field Byte Sequence of the certificate's DER.</summary>
public class ClientCertHeaderTests
{
    private static readonly X509Certificate2 Client = MtlsCertificates.SelfSigned("CN=header-client");
    private static readonly X509Certificate2 Other = MtlsCertificates.SelfSigned("CN=other-client");

    private static string Base64(X509Certificate2 certificate) => Convert.ToBase64String(certificate.RawData);

    [Fact]
    public void TheHeaderIsNamedClientCert() => Assert.Equal("Client-Cert", ClientCertHeader.Name);

    [Fact]
    public void FormatWritesColonBase64OfTheDerColon() =>
        Assert.Equal(":" + Base64(Client) + ":", ClientCertHeader.Format(Client));

    [Fact]
    public void AFormattedCertificateParsesBackToTheSameCertificate()
    {
        using var parsed = ClientCertHeader.Parse(ClientCertHeader.Format(Client));
        Assert.NotNull(parsed);
        Assert.Equal(Client.RawData, parsed.RawData);
        Assert.False(parsed.HasPrivateKey);
    }

    [Theory]
    [InlineData("  ", "")]
    [InlineData("", "\t ")]
    [InlineData(" \t", " \t ")]
    public void SpacesAndTabsAroundTheItemAreAllowed(string before, string after)
    {
        using var parsed = ClientCertHeader.Parse(before + ClientCertHeader.Format(Client) + after);
        Assert.NotNull(parsed);
        Assert.Equal(Client.RawData, parsed.RawData);
    }

    [Fact]
    public void MissingBase64PaddingIsPutBack()
    {
        // A certificate whose base64 ends in padding, so that leaving it out changes the text.
        var certificate = Enumerable.Range(0, 20).Select(_ => MtlsCertificates.SelfSigned("CN=padded")).First(c => Base64(c).EndsWith('='));
        var unpadded = ":" + Base64(certificate).TrimEnd('=') + ":";

        using var parsed = ClientCertHeader.Parse(unpadded);
        Assert.NotNull(parsed);
        Assert.Equal(certificate.RawData, parsed.RawData);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(":")]
    [InlineData("::")]
    [InlineData("garbage")]
    [InlineData(":garbage!:")]
    [InlineData(":AAAA:")]
    [InlineData(":YWJj:")]
    [InlineData("?1")]
    [InlineData("\"MIIB\"")]
    public void GarbageIsRefused(string? value) => Assert.Null(ClientCertHeader.Parse(value));

    [Fact]
    public void MissingColonsAreRefused()
    {
        var base64 = Base64(Client);
        Assert.Null(ClientCertHeader.Parse(base64));
        Assert.Null(ClientCertHeader.Parse(":" + base64));
        Assert.Null(ClientCertHeader.Parse(base64 + ":"));
    }

    [Fact]
    public void TwoItemsAreRefused()
    {
        Assert.Null(ClientCertHeader.Parse(ClientCertHeader.Format(Client) + ", " + ClientCertHeader.Format(Other)));
        Assert.Null(ClientCertHeader.Parse(ClientCertHeader.Format(Client) + "," + ClientCertHeader.Format(Client)));
        Assert.Null(ClientCertHeader.Parse(ClientCertHeader.Format(Client) + ClientCertHeader.Format(Other)));
    }

    [Fact]
    public void ParametersAreRefused() =>
        Assert.Null(ClientCertHeader.Parse(ClientCertHeader.Format(Client) + ";a=1"));

    [Fact]
    public void WhitespaceInsideTheItemIsRefused()
    {
        var base64 = Base64(Client);
        Assert.Null(ClientCertHeader.Parse(": " + base64 + ":"));
        Assert.Null(ClientCertHeader.Parse(":" + base64[..40] + "\n" + base64[40..] + ":"));
    }

    [Fact]
    public void Base64UrlIsNotTheSfBinaryAlphabet()
    {
        // Find a certificate whose base64 uses '+' or '/', so the base64url form differs.
        var certificate = Enumerable.Range(0, 20).Select(_ => MtlsCertificates.SelfSigned("CN=alphabet")).First(c => Base64(c).AsSpan().IndexOfAny('+', '/') >= 0);
        var base64Url = Base64(certificate).Replace('+', '-').Replace('/', '_');
        Assert.Null(ClientCertHeader.Parse(":" + base64Url + ":"));
    }

    [Fact]
    public void APemCertificateInsideTheBytesIsRefused()
    {
        var pem = Encoding.ASCII.GetBytes(Client.ExportCertificatePem());
        Assert.Null(ClientCertHeader.Parse(":" + Convert.ToBase64String(pem) + ":"));
    }

    [Fact]
    public void BytesAfterTheCertificateAreRefused() =>
        Assert.Null(ClientCertHeader.Parse(":" + Convert.ToBase64String(Client.RawData.Concat(new byte[] { 0x00, 0x00 }).ToArray()) + ":"));

    [Fact]
    public void AValueOverTheLimitIsRefusedEvenWhenItHoldsACertificate()
    {
        var header = ClientCertHeader.Format(Client);
        var atLimit = header + new string(' ', ClientCertHeader.MaxLength - header.Length);
        var overLimit = atLimit + " ";

        using var parsed = ClientCertHeader.Parse(atLimit);
        Assert.NotNull(parsed);
        Assert.Null(ClientCertHeader.Parse(overLimit));
        Assert.Equal(16 * 1024, ClientCertHeader.MaxLength);
    }
}
