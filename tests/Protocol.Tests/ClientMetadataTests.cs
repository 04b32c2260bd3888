using System.Text.Json;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 7591 §2: client metadata read from JSON: unknown members ignored, types and defaults, the rules between members.</summary>
public class ClientMetadataTests
{
    private static (ClientMetadata? Metadata, RegistrationError? Error) Read(string json, bool allowHttpLoopback = false) =>
        ClientMetadata.Read(JsonDocument.Parse(json).RootElement, allowHttpLoopback);

    [Fact]
    public void OmittedMembersTakeTheRfcsDefaults()
    {
        var (metadata, error) = Read("""{"redirect_uris":["https://app.example.com/cb"]}""");
        Assert.Null(error);
        Assert.Equal(["authorization_code"], metadata!.GrantTypes);
        Assert.Equal(["code"], metadata.ResponseTypes);
        Assert.Equal("client_secret_basic", metadata.TokenEndpointAuthMethod);
        Assert.Null(metadata.Scope);
        Assert.False(metadata.Public);
    }

    [Fact]
    public void UnknownMembersAreIgnoredNotRefused()
    {
        var (metadata, error) = Read("""
            {"redirect_uris":["https://app.example.com/cb"],"client_name":"Reports","client_name#ja-Jpan-JP":"レポート",
             "frontchannel_logout_uri":"https://app.example.com/logout","x_vendor":{"nested":[1,2]},"scope":"openid profile"}
            """);
        Assert.Null(error);
        Assert.Equal("Reports", metadata!.ClientName);
        Assert.Equal(["openid", "profile"], metadata.Scope!);
    }

    [Fact]
    public void JwksAndJwksUriAreMutuallyExclusive()
    {
        var (_, error) = Read("""
            {"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt",
             "jwks":{"keys":[]},"jwks_uri":"https://app.example.com/jwks"}
            """);
        Assert.Equal("invalid_client_metadata", error!.Error);
        Assert.Equal("jwks", error.Field);
    }

    [Fact]
    public void PrivateKeyJwtNeedsTheClientsKeys()
    {
        Assert.Equal("token_endpoint_auth_method",
            Read("""{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt"}""").Error!.Field);
        Assert.Null(Read("""{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://app.example.com/jwks"}""").Error);
    }

    [Theory]
    [InlineData("""{"redirect_uris":["https://a.example.com/cb"],"response_types":["token"]}""")]
    [InlineData("""{"redirect_uris":["https://a.example.com/cb"],"grant_types":["implicit"]}""")]
    [InlineData("""{"grant_types":["client_credentials"],"response_types":["code"]}""")]
    public void GrantAndResponseTypesMustAgree(string json) => Assert.Equal("response_types", Read(json).Error!.Field);

    [Fact]
    public void ABadRedirectUriIsInvalidRedirectUriNamingIt()
    {
        var (_, error) = Read("""{"redirect_uris":["https://app.example.com/cb","https://app.example.com/cb#frag"]}""");
        Assert.Equal("invalid_redirect_uri", error!.Error);
        Assert.Equal("redirect_uris[1]", error.Field);
        Assert.Equal("redirect_uris", Read("""{"client_name":"no redirect"}""").Error!.Field);
    }

    [Theory]
    [InlineData("""{"redirect_uris":"https://app.example.com/cb"}""", "redirect_uris")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"client_name":7}""", "client_name")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"logo_uri":"http://app.example.com/logo.png"}""", "logo_uri")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"tos_uri":"https://user:pw@app.example.com/tos"}""", "tos_uri")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"jwks":{"kty":"RSA"}}""", "jwks")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"scope":"openid  profile"}""", "scope")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"client_secret_jwt"}""", "token_endpoint_auth_method")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"grant_types":["authorization_code","magic"]}""", "grant_types")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","client_credentials"]}""", "grant_types")]
    public void AKnownMemberOfTheWrongShapeIsRefusedByName(string json, string field)
    {
        var (metadata, error) = Read(json);
        Assert.Null(metadata);
        Assert.Equal("invalid_client_metadata", error!.Error);
        Assert.Equal(field, error.Field);
        Assert.StartsWith(field, error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpOnLoopbackIsForDevelopmentOnly()
    {
        const string json = """{"redirect_uris":["https://app.example.com/cb"],"jwks_uri":"http://127.0.0.1:9000/jwks"}""";
        Assert.Equal("jwks_uri", Read(json).Error!.Field);
        Assert.Null(Read(json, allowHttpLoopback: true).Error);
    }

    [Fact]
    public void ANativePublicClientMayUseLoopbackAndPrivateUseSchemes()
    {
        var (metadata, error) = Read("""
            {"redirect_uris":["http://127.0.0.1/cb","com.example.app:/cb"],"token_endpoint_auth_method":"none",
             "grant_types":["authorization_code","refresh_token"]}
            """);
        Assert.Null(error);
        Assert.True(metadata!.Public);
    }
}
