using System.Text.Json;
using OAuthAspire.Protocol.Discovery;

namespace OAuthAspire.Protocol.Tests;

public class MetadataBuilderTests
{
    private static readonly Issuer TestIssuer = Issuer.Create("https://id.example.com", allowHttpLoopback: false);

    [Fact]
    public void IssuerIsCopiedExactly() =>
        Assert.Equal("https://id.example.com", MetadataBuilder.Build(TestIssuer, []).Issuer);

    [Fact]
    public void ScopesAreSortedAndDeduplicated() =>
        Assert.Equal(["email", "openid", "profile"], MetadataBuilder.Build(TestIssuer, ["profile", "openid", "email", "openid"]).ScopesSupported);

    [Fact]
    public void BlankScopeNamesAreLeftOut() =>
        Assert.Equal(["openid"], MetadataBuilder.Build(TestIssuer, ["", " ", "openid"]).ScopesSupported);

    [Fact]
    public void DocumentUsesRfc8414MemberNamesAndOmitsUnsupportedMembers()
    {
        var json = JsonSerializer.Serialize(MetadataBuilder.Build(TestIssuer, ["openid"]), ProtocolJson.Options);
        using var document = JsonDocument.Parse(json);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();

        Assert.Equal(["issuer", "scopes_supported", "response_types_supported"], names);
        Assert.Equal("https://id.example.com", document.RootElement.GetProperty("issuer").GetString());
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("response_types_supported").ValueKind);
    }
}
