using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace OAuthAspire.Protocol.Mtls;

/// <summary>
/// Whether a client certificate, which the TLS layer accepted without judging it, is the one a client
/// registered (RFC 8705 §2). Never throws on a malformed certificate or key: what cannot be read does not match.
/// </summary>
public static class ClientCertificateMatch
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    // GeneralName choices read by hand (RFC 5280 §4.2.1.6): X509SubjectAlternativeNameExtension
    // enumerates only dNSName and iPAddress.
    private static readonly Asn1Tag Rfc822NameTag = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag UniformResourceIdentifierTag = new(TagClass.ContextSpecific, 6);

    /// <summary>
    /// <c>tls_client_auth</c> (§2.1.2): the certificate carries the registered value. An invalid rule
    /// matches nothing; a certificate without a subject alternative name matches no SAN rule.
    /// </summary>
    public static bool MatchesRule(X509Certificate2 certificate, TlsClientAuthRule rule)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(rule);
        if (!TlsClientAuthRule.Validate(rule, out _))
        {
            return false;
        }

        try
        {
            return rule switch
            {
                { SubjectDn: { } dn } => TlsClientAuthRule.ParseSubjectDn(dn) is { } expected && SameDistinguishedName(certificate.SubjectName, expected),
                // DNS names compare without case (RFC 4343), ASCII only: a dNSName is an IA5String.
                { SanDns: { } dns } => SanExtensions(certificate).SelectMany(e => e.EnumerateDnsNames()).Any(n => Ascii.EqualsIgnoreCase(n.AsSpan(), dns.AsSpan())),
                { SanIp: { } ip } => TlsClientAuthRule.ParseIpLiteral(ip) is { } address && SanExtensions(certificate).SelectMany(e => e.EnumerateIPAddresses()).Any(a => a.Equals(address)),
                { SanUri: { } uri } => GeneralNames(certificate, UniformResourceIdentifierTag).Any(n => string.Equals(n, uri, StringComparison.Ordinal)),
                { SanEmail: { } email } => GeneralNames(certificate, Rfc822NameTag).Any(n => SameEmail(n, email)),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>TLS client authentication (RFC 5280 §4.2.1.12 id-kp-clientAuth).</summary>
    private static readonly Oid ClientAuthUsage = new("1.3.6.1.5.5.7.3.2");

    /// <summary>
    /// <c>tls_client_auth</c>'s PKI check (§2.1): the certificate chains, at <paramref name="now"/>, to a
    /// root among the <paramref name="authorities"/> the server trusts for client certificates, through
    /// intermediates among them too (only the client's own certificate is forwarded, not the chain it
    /// sent), and is fit for client authentication if it names its uses. No revocation check (CRL,
    /// OCSP): none is configured. Never throws: what cannot be built does not chain.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authorities);
        if (authorities.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        // Roots anchor the chain; intermediates only help build it (an intermediate is no anchor of its own).
        foreach (var authority in authorities)
        {
            (authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) ? policy.CustomTrustStore : policy.ExtraStore).Add(authority);
        }

        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.DisableCertificateDownloads = true;
        policy.ApplicationPolicy.Add(ClientAuthUsage);
        try
        {
            // Its own authority is no client: a CA certificate presented as a leaf is refused.
            return chain.Build(certificate) && chain.ChainElements.Count > 1 && !IsAuthority(certificate);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool IsAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(e => e.CertificateAuthority);

    /// <summary>Whether <paramref name="now"/> lies within notBefore..notAfter, both inclusive (RFC 5280 §4.1.2.5).</summary>
    public static bool IsWithinValidity(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);

        // NotBefore and NotAfter are local times; compare as instants.
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        return now >= notBefore && now <= notAfter;
    }

    /// <summary>
    /// RFC 4517 distinguishedNameMatch, simplified: the same number of RDNs in the same order, each with
    /// the same attribute type and a value equal without case and with runs of spaces folded and ends
    /// trimmed (RFC 4518 §2.6.1 insignificant space), whatever string type encodes it. Multi-valued
    /// RDNs and values that are no strings must be identical in DER.
    /// </summary>
    private static bool SameDistinguishedName(X500DistinguishedName presented, X500DistinguishedName expected)
    {
        var left = presented.EnumerateRelativeDistinguishedNames().ToList();
        var right = expected.EnumerateRelativeDistinguishedNames().ToList();
        if (left.Count == 0 || left.Count != right.Count)
        {
            return false;
        }

        for (var i = 0; i < left.Count; i++)
        {
            if (!SameRelativeDistinguishedName(left[i], right[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameRelativeDistinguishedName(X500RelativeDistinguishedName left, X500RelativeDistinguishedName right)
    {
        if (left.HasMultipleElements || right.HasMultipleElements)
        {
            return SameBytes(left.RawData.Span, right.RawData.Span);
        }

        if (!string.Equals(left.GetSingleElementType().Value, right.GetSingleElementType().Value, StringComparison.Ordinal))
        {
            return false;
        }

        var leftValue = left.GetSingleElementValue();
        var rightValue = right.GetSingleElementValue();
        if (leftValue is null || rightValue is null)
        {
            return SameBytes(left.RawData.Span, right.RawData.Span);
        }

        return string.Equals(FoldSpaces(leftValue), FoldSpaces(rightValue), StringComparison.OrdinalIgnoreCase);
    }

    private static string FoldSpaces(string value)
    {
        var folded = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                folded.Append(' ');
                pendingSpace = false;
            }

            folded.Append(c);
        }

        return folded.ToString();
    }

    // RFC 5321 §2.4: the local part is case-sensitive, the domain is not.
    private static bool SameEmail(string presented, string expected)
    {
        var presentedAt = presented.LastIndexOf('@');
        var expectedAt = expected.LastIndexOf('@');
        return presentedAt > 0 && expectedAt > 0
            && presented.AsSpan(0, presentedAt).SequenceEqual(expected.AsSpan(0, expectedAt))
            && Ascii.EqualsIgnoreCase(presented.AsSpan(presentedAt + 1), expected.AsSpan(expectedAt + 1));
    }

    private static IEnumerable<X509SubjectAlternativeNameExtension> SanExtensions(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAlternativeNameOid)
            {
                yield return new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
            }
        }
    }

    /// <summary>
    /// The IA5String values of one GeneralName choice: GeneralNames ::= SEQUENCE OF GeneralName, the
    /// choice told by its context tag, implicitly tagged. Throws <see cref="AsnContentException"/> on bad DER.
    /// </summary>
    private static IEnumerable<string> GeneralNames(X509Certificate2 certificate, Asn1Tag choice)
    {
        foreach (var extension in SanExtensions(certificate))
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(choice))
                {
                    yield return names.ReadCharacterString(UniversalTagNumber.IA5String, choice);
                }
                else
                {
                    _ = names.ReadEncodedValue();
                }
            }
        }
    }

    // Public values only: no need for a constant-time comparison here.
    private static bool SameBytes(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => left.SequenceEqual(right);
}
