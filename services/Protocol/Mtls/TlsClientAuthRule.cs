using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace OAuthAspire.Protocol.Mtls;

/// <summary>
/// What a <c>tls_client_auth</c> client registers (RFC 8705 §2.1.2): the one value its certificate's
/// subject must carry. Its chain to a trusted CA is checked apart (<see cref="ClientCertificateMatch.ChainsTo"/>).
/// </summary>
/// <param name="SubjectDn"><c>tls_client_auth_subject_dn</c>: the whole subject distinguished name.</param>
/// <param name="SanDns"><c>tls_client_auth_san_dns</c>: a dNSName entry of the subject alternative name.</param>
/// <param name="SanUri"><c>tls_client_auth_san_uri</c>: a uniformResourceIdentifier entry.</param>
/// <param name="SanIp"><c>tls_client_auth_san_ip</c>: an iPAddress entry, in IPv4 dotted decimal or IPv6 text.</param>
/// <param name="SanEmail"><c>tls_client_auth_san_email</c>: an rfc822Name entry.</param>
public sealed record TlsClientAuthRule(string? SubjectDn, string? SanDns, string? SanUri, string? SanIp, string? SanEmail)
{
    public const string SubjectDnParameter = "tls_client_auth_subject_dn";
    public const string SanDnsParameter = "tls_client_auth_san_dns";
    public const string SanUriParameter = "tls_client_auth_san_uri";
    public const string SanIpParameter = "tls_client_auth_san_ip";
    public const string SanEmailParameter = "tls_client_auth_san_email";

    private const string ExactlyOne =
        "exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip, tls_client_auth_san_email must be set";

    /// <summary>
    /// §2.1.2: exactly one member, and that one well-formed. A member counts as set when it is not
    /// null, so an empty value next to a real one is refused rather than silently ignored.
    /// </summary>
    /// <param name="problem">Fixed text naming the registration parameter at fault; null when valid.</param>
    public static bool Validate(TlsClientAuthRule rule, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(rule);
        problem = Problem(rule);
        if (problem is not null)
        {
            return false;
        }

        return true;
    }

    private static string? Problem(TlsClientAuthRule rule)
    {
        var set = (rule.SubjectDn is null ? 0 : 1) + (rule.SanDns is null ? 0 : 1) + (rule.SanUri is null ? 0 : 1)
            + (rule.SanIp is null ? 0 : 1) + (rule.SanEmail is null ? 0 : 1);
        if (set != 1)
        {
            return ExactlyOne;
        }

        return rule switch
        {
            { SubjectDn: { } dn } => string.IsNullOrWhiteSpace(dn) ? Empty(SubjectDnParameter)
                : ParseSubjectDn(dn) is null ? $"{SubjectDnParameter} must be a distinguished name" : null,
            { SanDns: { } dns } => string.IsNullOrWhiteSpace(dns) ? Empty(SanDnsParameter)
                : !IsDnsName(dns) ? $"{SanDnsParameter} must be an ASCII DNS name" : null,
            { SanUri: { } uri } => string.IsNullOrWhiteSpace(uri) ? Empty(SanUriParameter)
                : !IsAbsoluteUri(uri) ? $"{SanUriParameter} must be an absolute URI" : null,
            { SanIp: { } ip } => string.IsNullOrWhiteSpace(ip) ? Empty(SanIpParameter)
                : ParseIpLiteral(ip) is null ? $"{SanIpParameter} must be an IPv4 or IPv6 address" : null,
            { SanEmail: { } email } => string.IsNullOrWhiteSpace(email) ? Empty(SanEmailParameter)
                : !IsEmail(email) ? $"{SanEmailParameter} must be an email address" : null,
            _ => ExactlyOne,
        };
    }

    private static string Empty(string parameter) => $"{parameter} must not be empty";

    /// <summary>
    /// The DN in the string form .NET parses (RFC 4514-like, commas or semicolons between RDNs);
    /// null when it does not parse or names no RDN at all.
    /// </summary>
    internal static X500DistinguishedName? ParseSubjectDn(string value)
    {
        try
        {
            var name = new X500DistinguishedName(value);
            return name.EnumerateRelativeDistinguishedNames().Any() ? name : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// An IPv4 address in dotted decimal as written (so no "127.1" or octal-looking "010.0.0.1"),
    /// or an IPv6 address of hex digits, colons and an optional dotted tail: no brackets, zone or prefix.
    /// </summary>
    internal static IPAddress? ParseIpLiteral(string value)
    {
        if (!IPAddress.TryParse(value, out var address))
        {
            return null;
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork when address.ToString() == value => address,
            AddressFamily.InterNetworkV6 when value.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.') => address,
            _ => null,
        };
    }

    // On Unix Uri.TryCreate takes "/path" for an absolute file URI; the scheme must be written out.
    private static bool IsAbsoluteUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && value.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);

    // A dNSName is an IA5String (RFC 5280 §4.2.1.6): internationalized names arrive as A-labels.
    private static bool IsDnsName(string value) => Ascii.IsValid(value) && !value.Any(char.IsWhiteSpace);

    // The local part may itself hold a quoted '@', so only the last one separates it from the domain.
    private static bool IsEmail(string value)
    {
        var at = value.LastIndexOf('@');
        return at > 0 && at < value.Length - 1 && Ascii.IsValid(value);
    }
}
