using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 8705 §2.1.2: a <c>tls_client_auth</c> client registers exactly one well-formed subject value.</summary>
public class TlsClientAuthRuleTests
{
    private const string ExactlyOne =
        "exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip, tls_client_auth_san_email must be set";

    private static TlsClientAuthRule Rule(string kind, string value) => kind switch
    {
        "dn" => new(value, null, null, null, null),
        "dns" => new(null, value, null, null, null),
        "uri" => new(null, null, value, null, null),
        "ip" => new(null, null, null, value, null),
        "email" => new(null, null, null, null, value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string? ProblemOf(TlsClientAuthRule rule)
    {
        var valid = TlsClientAuthRule.Validate(rule, out var problem);
        Assert.Equal(valid, problem is null);
        return problem;
    }

    [Fact]
    public void NoMemberAtAllIsRefused() =>
        Assert.Equal(ExactlyOne, ProblemOf(new TlsClientAuthRule(null, null, null, null, null)));

    [Fact]
    public void TwoMembersAreRefusedEvenWhenBothAreWellFormed() =>
        Assert.Equal(ExactlyOne, ProblemOf(new TlsClientAuthRule("CN=client.example.com", "client.example.com", null, null, null)));

    [Fact]
    public void AnEmptyMemberCountsAsSetSoItCannotHideBesideAnother() =>
        Assert.Equal(ExactlyOne, ProblemOf(new TlsClientAuthRule(null, "client.example.com", null, null, "")));

    [Fact]
    public void AllFiveMembersAreRefused() =>
        Assert.Equal(ExactlyOne, ProblemOf(new TlsClientAuthRule("CN=a", "a.example.com", "https://a.example.com/x", "192.0.2.1", "a@example.com")));

    [Theory]
    [InlineData("dn", "CN=client.example.com, O=Example, C=DE")]
    [InlineData("dn", "CN=client.example.com")]
    [InlineData("dns", "client.example.com")]
    [InlineData("uri", "https://client.example.com/app")]
    [InlineData("uri", "spiffe://example.org/ns/prod/sa/client")]
    [InlineData("ip", "192.0.2.10")]
    [InlineData("ip", "2001:db8::1")]
    [InlineData("ip", "2001:DB8:0:0:0:0:0:1")]
    [InlineData("ip", "::ffff:192.0.2.10")]
    [InlineData("email", "client@example.com")]
    public void EachKindAloneIsAccepted(string kind, string value) =>
        Assert.Null(ProblemOf(Rule(kind, value)));

    [Theory]
    [InlineData("not a distinguished name")]
    [InlineData("CN")]
    [InlineData("CN=\"unterminated")]
    public void AMalformedDistinguishedNameIsRefused(string dn) =>
        Assert.Equal("tls_client_auth_subject_dn must be a distinguished name", ProblemOf(Rule("dn", dn)));

    [Theory]
    [InlineData("999.1.1.1")]
    [InlineData("192.0.2")]
    [InlineData("127.1")]
    [InlineData("010.0.0.1")]
    [InlineData("not-an-ip")]
    [InlineData("192.0.2.10/24")]
    [InlineData("[2001:db8::1]")]
    [InlineData("fe80::1%eth0")]
    [InlineData("client.example.com")]
    public void AnythingButAnIpLiteralIsRefused(string ip) =>
        Assert.Equal("tls_client_auth_san_ip must be an IPv4 or IPv6 address", ProblemOf(Rule("ip", ip)));

    [Theory]
    [InlineData("not a uri")]
    [InlineData("/relative/path")]
    [InlineData("client.example.com")]
    [InlineData("relative/path")]
    public void ARelativeOrMalformedUriIsRefused(string uri) =>
        Assert.Equal("tls_client_auth_san_uri must be an absolute URI", ProblemOf(Rule("uri", uri)));

    [Theory]
    [InlineData("client example.com")]
    [InlineData("clïent.example.com")]
    public void ADnsNameWithSpacesOrNonAsciiIsRefused(string dns) =>
        Assert.Equal("tls_client_auth_san_dns must be an ASCII DNS name", ProblemOf(Rule("dns", dns)));

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("@example.com")]
    [InlineData("client@")]
    public void AnEmailWithoutLocalPartAndDomainIsRefused(string email) =>
        Assert.Equal("tls_client_auth_san_email must be an email address", ProblemOf(Rule("email", email)));

    [Theory]
    [InlineData("dn", "tls_client_auth_subject_dn")]
    [InlineData("dns", "tls_client_auth_san_dns")]
    [InlineData("uri", "tls_client_auth_san_uri")]
    [InlineData("ip", "tls_client_auth_san_ip")]
    [InlineData("email", "tls_client_auth_san_email")]
    public void ABlankValueIsRefusedNamingItsParameter(string kind, string parameter)
    {
        Assert.Equal(parameter + " must not be empty", ProblemOf(Rule(kind, "")));
        Assert.Equal(parameter + " must not be empty", ProblemOf(Rule(kind, "   ")));
    }
}
