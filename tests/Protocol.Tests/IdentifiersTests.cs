using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

public class IdentifiersTests
{
    [Theory]
    [InlineData("abc123", true)]
    [InlineData("a b~!", true)]
    [InlineData("", false)]
    [InlineData("nul\0inside", false)]
    [InlineData("line\nbreak", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("\u007f", false)]
    public void AClientIdIsOneToOneHundredTwentyEightVisibleAsciiCharacters(string value, bool expected) =>
        Assert.Equal(expected, Identifiers.IsClientId(value));

    [Fact]
    public void AClientIdLongerThanTheLimitIsRefused()
    {
        Assert.True(Identifiers.IsClientId(new string('a', Identifiers.MaxClientIdLength)));
        Assert.False(Identifiers.IsClientId(new string('a', Identifiers.MaxClientIdLength + 1)));
    }

    [Fact]
    public void AMalformedClientIdInTheFormOrBasicHeaderIsInvalidClientWithoutALookup()
    {
        var form = new RequestParameters([new("client_id", (IReadOnlyList<string?>)["bad\0id"]), new("client_secret", (IReadOnlyList<string?>)["s"])]);
        var fromForm = Assert.IsType<ClientCredentials.Invalid>(ClientAuthentication.Read(null, form));
        Assert.Equal("invalid_client", fromForm.Error.Error);

        var header = ClientAuthentication.EncodeBasic("ok\nid", "secret");
        var fromHeader = Assert.IsType<ClientCredentials.Invalid>(ClientAuthentication.Read("Basic " + header, new RequestParameters(Array.Empty<KeyValuePair<string, IReadOnlyList<string?>>>())));
        Assert.Equal("invalid_client", fromHeader.Error.Error);
    }
}
