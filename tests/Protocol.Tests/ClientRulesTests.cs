using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Tests;

public class ClientRulesTests
{
    [Theory]
    [InlineData("abcdefgh")]
    [InlineData("My.Client_id-1~x")]
    public void AClientIdOfEightToOneHundredTwentyEightUnreservedCharactersIsValid(string id) =>
        Assert.True(ClientRules.IsValidClientId(id));

    [Theory]
    [InlineData("short")]
    [InlineData("has space in it")]
    [InlineData("slash/inside")]
    [InlineData("ünïcödé-client")]
    public void OtherClientIdsAreInvalid(string id) => Assert.False(ClientRules.IsValidClientId(id));

    [Fact]
    public void AClientIdOver128CharactersIsInvalid() => Assert.False(ClientRules.IsValidClientId(new string('a', 129)));

    [Theory]
    [InlineData("https://app.example.com/callback")]
    [InlineData("http://127.0.0.1:5000/cb")]
    [InlineData("http://[::1]/cb")]
    [InlineData("http://localhost:7000/cb")]
    public void HttpsAndLoopbackHttpRedirectUrisAreAccepted(string uri) =>
        Assert.Null(ClientRules.CheckRedirectUri(uri, publicClient: false));

    [Fact]
    public void PlainHttpOnANonLoopbackHostIsRejected() =>
        Assert.NotNull(ClientRules.CheckRedirectUri("http://app.example.com/cb", publicClient: false));

    [Fact]
    public void ARedirectUriWithAFragmentIsRejected() =>
        Assert.NotNull(ClientRules.CheckRedirectUri("https://app.example.com/cb#x", publicClient: false));

    [Theory]
    [InlineData("/relative/cb")]
    [InlineData("https://*.example.com/cb")]
    [InlineData("https://user:pw@example.com/cb")]
    [InlineData("")]
    public void RelativeWildcardOrCredentialBearingRedirectUrisAreRejected(string uri) =>
        Assert.NotNull(ClientRules.CheckRedirectUri(uri, publicClient: true));

    [Fact]
    public void APublicClientMayUseAReverseDomainPrivateUseScheme() =>
        Assert.Null(ClientRules.CheckRedirectUri("com.example.app:/oauth2redirect", publicClient: true));

    [Fact]
    public void APrivateUseSchemeThatIsNotReverseDomainIsRejected() =>
        Assert.NotNull(ClientRules.CheckRedirectUri("myapp:/callback", publicClient: true));

    [Fact]
    public void AConfidentialClientMayNotUseAPrivateUseScheme() =>
        Assert.NotNull(ClientRules.CheckRedirectUri("com.example.app:/cb", publicClient: false));

    [Fact]
    public void AnUnknownGrantTypeIsRejected() =>
        Assert.NotNull(ClientRules.CheckGrantTypes(["client_credentials", "magic"], publicClient: false));

    [Theory]
    [InlineData("client_credentials")]
    [InlineData("password")]
    [InlineData("urn:ietf:params:oauth:grant-type:jwt-bearer")]
    [InlineData("urn:ietf:params:oauth:grant-type:token-exchange")]
    public void APublicClientMayNotUseGrantsThatNeedAClientCredential(string grant) =>
        Assert.NotNull(ClientRules.CheckGrantTypes([grant], publicClient: true));

    [Fact]
    public void APublicClientMayUseCodeRefreshAndImplicit() =>
        Assert.Null(ClientRules.CheckGrantTypes(["authorization_code", "refresh_token", "implicit", "urn:ietf:params:oauth:grant-type:device_code"], publicClient: true));
}
