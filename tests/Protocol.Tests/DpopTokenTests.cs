using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

/// <summary>Reading the access token of either scheme: RFC 6750 §2.1 (Bearer) and RFC 9449 §7.1 (DPoP).</summary>
public class DpopTokenTests
{
    [Fact]
    public void ADpopTokenIsRead()
    {
        Assert.Equal(AuthorizationScheme.DPoP, DpopToken.Read(["DPoP abc.def-ghi_jkl"], out var token));
        Assert.Equal("abc.def-ghi_jkl", token);
    }

    [Fact]
    public void ABearerTokenIsRead()
    {
        Assert.Equal(AuthorizationScheme.Bearer, DpopToken.Read(["Bearer abc.def"], out var token));
        Assert.Equal("abc.def", token);
    }

    [Theory]
    [InlineData("dpop abc", AuthorizationScheme.DPoP)]
    [InlineData("DPOP abc", AuthorizationScheme.DPoP)]
    [InlineData("bearer abc", AuthorizationScheme.Bearer)]
    [InlineData("BEARER abc", AuthorizationScheme.Bearer)]
    public void SchemeNamesAreCaseInsensitive(string header, AuthorizationScheme scheme)
    {
        Assert.Equal(scheme, DpopToken.Read([header], out var token));
        Assert.Equal("abc", token);
    }

    [Fact]
    public void NoAuthorizationHeaderIsMissing()
    {
        Assert.Equal(AuthorizationScheme.Missing, DpopToken.Read([], out var token));
        Assert.Equal("", token);
    }

    [Theory]
    [InlineData("Basic YTpi")]
    [InlineData("Negotiate abc")]
    public void AnotherSchemeIsMissing(string header) =>
        Assert.Equal(AuthorizationScheme.Missing, DpopToken.Read([header], out _));

    [Theory]
    [InlineData("DPoP")]
    [InlineData("DPoP ")]
    [InlineData("DPoP a b")]
    [InlineData("DPoP  abc")]
    [InlineData("DPoP abc=def")]
    [InlineData("DPoP ab\"c")]
    [InlineData("DPoPabc")]
    [InlineData("Bearer")]
    [InlineData("Bearer a,b")]
    public void AMalformedHeaderIsMalformed(string header)
    {
        Assert.Equal(AuthorizationScheme.Malformed, DpopToken.Read([header], out var token));
        Assert.Equal("", token);
    }

    [Fact]
    public void TwoHeadersAreMalformedWhenEitherIsOurs()
    {
        Assert.Equal(AuthorizationScheme.Malformed, DpopToken.Read(["DPoP abc", "Bearer def"], out _));
        Assert.Equal(AuthorizationScheme.Malformed, DpopToken.Read(["Basic YTpi", "DPoP abc"], out _));
        Assert.Equal(AuthorizationScheme.Missing, DpopToken.Read(["Basic YTpi", "Negotiate abc"], out _));
    }

    [Fact]
    public void TheTokenLengthLimitIsTheBearerOne()
    {
        var longest = new string('a', BearerToken.MaxLength);
        Assert.Equal(AuthorizationScheme.DPoP, DpopToken.Read(["DPoP " + longest], out var token));
        Assert.Equal(longest, token);
        Assert.Equal(AuthorizationScheme.Malformed, DpopToken.Read(["DPoP " + longest + "a"], out _));
    }

    [Fact]
    public void TrailingPaddingIsAllowed() =>
        Assert.Equal(AuthorizationScheme.DPoP, DpopToken.Read(["DPoP abc=="], out _));

    [Fact]
    public void TheBearerReaderStillTreatsDpopAsAnotherScheme() =>
        Assert.Equal(BearerHeader.Missing, BearerToken.Read(["DPoP abc"], out _));
}
