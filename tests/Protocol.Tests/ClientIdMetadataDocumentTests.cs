using System.Text.Json;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.Protocol.Tests;

/// <summary>Client ID Metadata Documents: which URLs can be a client_id, and what a document may hold.</summary>
public class ClientIdMetadataDocumentTests
{
    private const string Url = "https://app.example.com/oauth/client.json";

    private static (ClientMetadata? Metadata, RegistrationError? Error) Read(string json, string url = Url) =>
        ClientIdMetadataDocument.Read(JsonDocument.Parse(json).RootElement, url, allowHttpLoopback: false);

    [Theory]
    [InlineData(Url, null)]
    [InlineData("https://app.example.com:8443/client", null)]
    [InlineData("http://app.example.com/client.json", "must use https")]
    [InlineData("https://app.example.com", "must have a path")]
    [InlineData("https://app.example.com/", "must have a path")]
    [InlineData("https://app.example.com/a/../client.json", "must have no dot segments")]
    [InlineData("https://app.example.com/./client.json", "must have no dot segments")]
    [InlineData("https://app.example.com/client.json?v=1", "must have no user information, query or fragment")]
    [InlineData("https://app.example.com/client.json#x", "must have no user information, query or fragment")]
    [InlineData("https://user@app.example.com/client.json", "must have no user information, query or fragment")]
    [InlineData("https://APP.example.com/client.json", "must be in its normal form (lower-case host, no default port, no escaped dots)")]
    [InlineData("https://app.example.com:443/client.json", "must be in its normal form (lower-case host, no default port, no escaped dots)")]
    [InlineData("https://app.example.com/a/%2e%2e/client.json", "must be in its normal form (lower-case host, no default port, no escaped dots)")]
    public void OnlyPlainHttpsUrlsWithAPathCanBeClientIds(string url, string? problem) =>
        Assert.Equal(problem, ClientIdMetadataDocument.UrlProblem(url, allowHttpLoopback: false));

    [Fact]
    public void LongUrlsAndHttpOutsideDevelopmentLoopbackAreRefused()
    {
        Assert.NotNull(ClientIdMetadataDocument.UrlProblem("https://app.example.com/" + new string('a', 250), false));
        Assert.Null(ClientIdMetadataDocument.UrlProblem("http://127.0.0.1:5000/client.json", allowHttpLoopback: true));
        Assert.NotNull(ClientIdMetadataDocument.UrlProblem("http://127.0.0.1:5000/client.json", allowHttpLoopback: false));
        Assert.False(ClientIdMetadataDocument.IsUrl("billing-app"));
        Assert.True(ClientIdMetadataDocument.IsUrl(Url));
    }

    [Fact]
    public void ADocumentNamingItselfGivesAPublicClientUnlessItSaysOtherwise()
    {
        var (metadata, error) = Read($$"""{"client_id":"{{Url}}","client_name":"Notes","redirect_uris":["https://app.example.com/cb"]}""");

        Assert.Null(error);
        Assert.True(metadata!.Public);
        Assert.Equal("Notes", metadata.ClientName);
    }

    [Theory]
    [InlineData("""{"client_id":"https://other.example.com/client.json","redirect_uris":["https://app.example.com/cb"]}""", "client_id")]
    [InlineData("""{"redirect_uris":["https://app.example.com/cb"]}""", "client_id")]
    [InlineData("""{"client_id":"URL","client_secret":"s3cret","redirect_uris":["https://app.example.com/cb"]}""", "client_secret")]
    [InlineData("""{"client_id":"URL","token_endpoint_auth_method":"client_secret_basic","redirect_uris":["https://app.example.com/cb"]}""", "token_endpoint_auth_method")]
    [InlineData("""{"client_id":"URL","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}}""", "jwks")]
    [InlineData("""[1,2]""", "document")]
    public void ADocumentThatDoesNotNameItselfOrHoldsSecretsIsRefused(string json, string field)
    {
        var (metadata, error) = Read(json.Replace("URL", Url, StringComparison.Ordinal));

        Assert.Null(metadata);
        Assert.Equal(field, error!.Field);
    }

    [Fact]
    public void ItIsKeptForItsMaxAgeWithinFiveMinutesAndADay()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), ClientIdMetadataDocument.CacheLifetime(null));
        Assert.Equal(TimeSpan.FromMinutes(5), ClientIdMetadataDocument.CacheLifetime(TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromHours(2), ClientIdMetadataDocument.CacheLifetime(TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.FromHours(24), ClientIdMetadataDocument.CacheLifetime(TimeSpan.FromDays(30)));
    }
}
