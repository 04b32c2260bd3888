using System.Text;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

public class ClientAuthenticationTests
{
    private static string Basic(string raw) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(raw));

    [Fact]
    public void ClientSecretBasicIsReadFromTheAuthorizationHeader()
    {
        var credentials = ClientAuthentication.Read(Basic("my-client:s3cret"), RequestParameters.Empty);
        Assert.Equal(new ClientCredentials.Secret("my-client", "s3cret", "client_secret_basic"), credentials);
    }

    [Fact]
    public void BasicCredentialsAreFormUrlDecodedPerRfc6749Section231()
    {
        // A secret with ':' and '+' and a space must be form-encoded before base64.
        var credentials = ClientAuthentication.Read(Basic("my%3Aclient:a%2Bb+c%3A"), RequestParameters.Empty);
        Assert.Equal(new ClientCredentials.Secret("my:client", "a+b c:", "client_secret_basic"), credentials);
    }

    [Fact]
    public void EncodeBasicRoundTripsThroughTheDecoder()
    {
        var header = "Basic " + ClientAuthentication.EncodeBasic("id:with colon", "p@ss+w:rd");
        Assert.Equal(new ClientCredentials.Secret("id:with colon", "p@ss+w:rd", "client_secret_basic"), ClientAuthentication.Read(header, RequestParameters.Empty));
    }

    [Fact]
    public void ClientSecretPostIsReadFromTheForm()
    {
        var credentials = ClientAuthentication.Read(null, RequestParameters.Of(("client_id", "my-client"), ("client_secret", "s3cret")));
        Assert.Equal(new ClientCredentials.Secret("my-client", "s3cret", "client_secret_post"), credentials);
    }

    [Fact]
    public void UsingBasicAndPostTogetherIsAnInvalidRequest()
    {
        var credentials = ClientAuthentication.Read(Basic("a-client:x"), RequestParameters.Of(("client_id", "a-client"), ("client_secret", "x")));
        Assert.Equal("invalid_request", Assert.IsType<ClientCredentials.Invalid>(credentials).Error.Error);
    }

    [Fact]
    public void AFormClientIdDifferentFromTheBasicOneIsAnInvalidRequest()
    {
        var credentials = ClientAuthentication.Read(Basic("client-one:x"), RequestParameters.Of(("client_id", "client-two")));
        Assert.Equal("invalid_request", Assert.IsType<ClientCredentials.Invalid>(credentials).Error.Error);
    }

    [Theory]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic bm9jb2xvbg==")]
    [InlineData("Basic OnNlY3JldA==")]
    [InlineData("Basic Y2xpZW50Og==")]
    public void MalformedBasicCredentialsAreAnInvalidClientWith401(string header)
    {
        var error = Assert.IsType<ClientCredentials.Invalid>(ClientAuthentication.Read(header, RequestParameters.Empty)).Error;
        Assert.Equal("invalid_client", error.Error);
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public void AClientIdAloneIdentifiesAPublicClient() =>
        Assert.Equal(new ClientCredentials.IdOnly("spa-client"), ClientAuthentication.Read(null, RequestParameters.Of(("client_id", "spa-client"))));

    [Fact]
    public void NoCredentialsAtAllIsNone() =>
        Assert.IsType<ClientCredentials.None>(ClientAuthentication.Read(null, RequestParameters.Empty));

    [Fact]
    public void ASecretWithoutAClientIdIsAnInvalidRequest() =>
        Assert.Equal("invalid_request", Assert.IsType<ClientCredentials.Invalid>(ClientAuthentication.Read(null, RequestParameters.Of(("client_secret", "x")))).Error.Error);
}
