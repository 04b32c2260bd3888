using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OAuthAspire.Protocol.Mtls;

/// <summary>
/// The <c>Client-Cert</c> header (RFC 9440 §2.2) by which the TLS-terminating edge hands the client
/// certificate to the services behind it: one Structured Field Byte Sequence (RFC 8941 §3.3.5) of the DER.
/// </summary>
public static class ClientCertHeader
{
    public const string Name = "Client-Cert";

    /// <summary>
    /// A client certificate is a few KiB even with long names; the limit bounds the work a sender can ask
    /// for. A larger one does not pass: it authenticates nothing and binds nothing.
    /// </summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The header value: <c>:</c>, the standard base64 of the DER, <c>:</c>.</summary>
    public static string Format(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return ":" + Convert.ToBase64String(certificate.RawData) + ":";
    }

    /// <summary>
    /// The certificate in a header value, or null for anything but exactly one Byte Sequence holding
    /// exactly one DER certificate: no list, no parameters, no PEM, no trailing bytes. Spaces and tabs
    /// around the item are allowed (RFC 8941 §4.2); none inside it. Never throws.
    /// </summary>
    public static X509Certificate2? Parse(string? value)
    {
        if (value is null || value.Length > MaxLength)
        {
            return null;
        }

        var item = value.AsSpan().Trim(" \t");
        if (item.Length < 2 || item[0] != ':' || item[^1] != ':')
        {
            return null;
        }

        var content = item[1..^1];
        foreach (var c in content)
        {
            // RFC 8941 §3.3.5: only the base64 alphabet and padding; this also refuses a second item or a parameter.
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '/' or '='))
            {
                return null;
            }
        }

        var der = Decode(content.ToString());
        if (der is null || der.Length == 0 || der[0] != 0x30)
        {
            // A certificate is a DER SEQUENCE; anything else (PEM text, say) is not one.
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }

        // Bytes after the certificate would be ignored by a lenient loader; the header must be the DER alone.
        if (certificate.RawDataMemory.Length != der.Length)
        {
            certificate.Dispose();
            return null;
        }

        return certificate;
    }

    // RFC 8941 §4.2.7: parsers should not fail when the '=' padding is left out, so it is put back.
    private static byte[]? Decode(string base64)
    {
        if (base64.Length % 4 != 0 && !base64.Contains('='))
        {
            base64 = base64.PadRight(base64.Length + 4 - (base64.Length % 4), '=');
        }

        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
