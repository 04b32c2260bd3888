using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Tests;

public class ProtectedResourceMetadataTests
{
    private const string Origin = "https://id.example.com";

    [Theory]
    [InlineData("https://id.example.com/api/orders", "https://id.example.com/.well-known/oauth-protected-resource/api/orders")]
    [InlineData("https://id.example.com", "https://id.example.com/.well-known/oauth-protected-resource")]
    [InlineData("https://id.example.com/", "https://id.example.com/.well-known/oauth-protected-resource")]
    [InlineData("https://id.example.com.evil.test/api", null)]
    [InlineData("https://other.example.com/api", null)]
    [InlineData("https://id.example.com/api?x=1", null)]
    public void TheWellKnownSegmentGoesBetweenTheHostAndThePath(string resource, string? expected) =>
        Assert.Equal(expected, ProtectedResourceMetadata.UrlOf(resource, Origin));

    [Fact]
    public void TheDocumentNamesThisIssuerAndThePolicysScopes()
    {
        var policy = new ApiPolicy("Orders", "/api/orders",
            [new ApiRule(["GET"], "/api/orders/**", ["orders.read"]), new ApiRule(["POST"], "/api/orders", ["orders.write", "orders.read"])],
            "https://id.example.com/api/orders");
        Assert.Same(policy, ProtectedResourceMetadata.Find([policy], Origin, "/.well-known/oauth-protected-resource/api/orders"));
        Assert.Null(ProtectedResourceMetadata.Find([policy], Origin, "/.well-known/oauth-protected-resource/api/other"));

        var document = ProtectedResourceMetadata.Describe(policy, "https://id.example.com", ["ES256"], mtls: true);
        Assert.Equal("https://id.example.com/api/orders", document.Resource);
        Assert.Equal(["https://id.example.com"], document.AuthorizationServers);
        Assert.Equal(["orders.read", "orders.write"], document.ScopesSupported);
        Assert.Equal(["header"], document.BearerMethodsSupported);
        Assert.True(document.TlsClientCertificateBoundAccessTokens);
    }
}
