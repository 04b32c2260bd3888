using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

public class BearerTokenTests
{
    [Fact]
    public void ABearerTokenIsRead()
    {
        Assert.Equal(BearerHeader.Present, BearerToken.Read(["Bearer abc.def-ghi_jkl"], out var token));
        Assert.Equal("abc.def-ghi_jkl", token);
    }

    [Fact]
    public void TheSchemeIsCaseInsensitive() =>
        Assert.Equal(BearerHeader.Present, BearerToken.Read(["bearer abc"], out _));

    [Fact]
    public void NoAuthorizationHeaderIsMissing() =>
        Assert.Equal(BearerHeader.Missing, BearerToken.Read([], out _));

    [Fact]
    public void AnotherSchemeIsMissingBearerCredentials() =>
        Assert.Equal(BearerHeader.Missing, BearerToken.Read(["Basic YTpi"], out _));

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer a b")]
    [InlineData("Bearer  abc")]
    [InlineData("Bearer abc=def")]
    [InlineData("Bearer ab\"c")]
    public void AMalformedBearerHeaderIsAnInvalidRequest(string header) =>
        Assert.Equal(BearerHeader.Malformed, BearerToken.Read([header], out _));

    [Fact]
    public void TwoAuthorizationHeadersAreMalformed() =>
        Assert.Equal(BearerHeader.Malformed, BearerToken.Read(["Bearer abc", "Bearer def"], out _));

    [Fact]
    public void TrailingPaddingIsAllowed() =>
        Assert.Equal(BearerHeader.Present, BearerToken.Read(["Bearer abc=="], out _));
}
