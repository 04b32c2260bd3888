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
    public void EndpointsAreAbsoluteUrlsUnderTheIssuer()
    {
        var metadata = MetadataBuilder.Build(TestIssuer, []);
        Assert.Equal("https://id.example.com/oauth/token", metadata.TokenEndpoint);
        Assert.Equal("https://id.example.com/oauth/jwks", metadata.JwksUri);
        Assert.Equal("https://id.example.com/oauth/revoke", metadata.RevocationEndpoint);
        Assert.Equal("https://id.example.com/oauth/introspect", metadata.IntrospectionEndpoint);
    }

    [Fact]
    public void EverySupportedGrantAndAuthenticationMethodIsListed()
    {
        var metadata = MetadataBuilder.Build(TestIssuer, []);
        Assert.Contains("client_credentials", metadata.GrantTypesSupported!);
        Assert.Contains("authorization_code", metadata.GrantTypesSupported!);
        Assert.Equal(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"], metadata.TokenEndpointAuthMethodsSupported!);
        Assert.Contains("RS256", metadata.TokenEndpointAuthSigningAlgValuesSupported!);
        Assert.DoesNotContain("HS256", metadata.TokenEndpointAuthSigningAlgValuesSupported!);
        Assert.Contains("refresh_token", metadata.GrantTypesSupported!);
        Assert.Contains("urn:ietf:params:oauth:grant-type:jwt-bearer", metadata.GrantTypesSupported!);
        Assert.Equal(["S256"], metadata.CodeChallengeMethodsSupported!);
        Assert.True(metadata.AuthorizationResponseIssParameterSupported);
    }

    [Fact]
    public void TheDeviceAuthorizationEndpointAndGrantAreAdvertised()
    {
        var metadata = MetadataBuilder.Build(TestIssuer, []);
        Assert.Equal("https://id.example.com/oauth/device_authorization", metadata.DeviceAuthorizationEndpoint);
        Assert.Contains("urn:ietf:params:oauth:grant-type:device_code", metadata.GrantTypesSupported!);
    }

    [Fact]
    public void TheOpenIdDiscoveryMembersCoreRequiresArePresent()
    {
        var metadata = MetadataBuilder.Build(TestIssuer, ["openid"]);
        Assert.Equal("https://id.example.com/oauth/userinfo", metadata.UserinfoEndpoint);
        Assert.Equal("https://id.example.com/oauth/logout", metadata.EndSessionEndpoint);
        Assert.Equal(["public"], metadata.SubjectTypesSupported!);
        Assert.Equal(["RS256", "PS256", "ES256"], metadata.IdTokenSigningAlgValuesSupported!);
        Assert.Contains("sub", metadata.ClaimsSupported!);
        Assert.Contains("id_token token", metadata.ResponseTypesSupported);
    }

    [Fact]
    public void DpopProofAlgorithmsAreAdvertisedAsymmetricOnly() =>
        Assert.Equal(["ES256", "ES384", "PS256", "RS256"], MetadataBuilder.Build(TestIssuer, []).DpopSigningAlgValuesSupported!);

    [Fact]
    public void BlankScopeNamesAreLeftOut() =>
        Assert.Equal(["openid"], MetadataBuilder.Build(TestIssuer, ["", " ", "openid"]).ScopesSupported);

    [Fact]
    public void DocumentUsesRfc8414MemberNamesAndOmitsUnsupportedMembers()
    {
        var json = JsonSerializer.Serialize(MetadataBuilder.Build(TestIssuer, ["openid"]), ProtocolJson.Options);
        using var document = JsonDocument.Parse(json);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();

        Assert.Equal(["issuer", "authorization_endpoint", "token_endpoint", "pushed_authorization_request_endpoint",
            "require_pushed_authorization_requests", "device_authorization_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint", "revocation_endpoint",
            "introspection_endpoint", "scopes_supported", "response_types_supported", "response_modes_supported", "grant_types_supported",
            "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported", "revocation_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported", "code_challenge_methods_supported", "dpop_signing_alg_values_supported",
            "authorization_response_iss_parameter_supported", "subject_types_supported",
            "id_token_signing_alg_values_supported", "claims_supported", "claims_parameter_supported", "request_parameter_supported",
            "request_object_signing_alg_values_supported", "require_signed_request_object", "request_uri_parameter_supported", "frontchannel_logout_supported"], names);
        Assert.Equal("https://id.example.com", document.RootElement.GetProperty("issuer").GetString());
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("response_types_supported").ValueKind);
    }

    [Fact]
    public void WithoutMtlsAliasesNothingOfMutualTlsIsAdvertised()
    {
        foreach (var metadata in new[] { MetadataBuilder.Build(TestIssuer, []), MetadataBuilder.Build(TestIssuer, [], null) })
        {
            Assert.Null(metadata.TlsClientCertificateBoundAccessTokens);
            Assert.Null(metadata.MtlsEndpointAliases);
            Assert.Equal(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"], metadata.TokenEndpointAuthMethodsSupported!);
        }
    }

    [Fact]
    public void WithMtlsAliasesTheCertificateMethodsAndBoundTokensAreAdvertised()
    {
        var aliases = new MtlsEndpointAliases { TokenEndpoint = "https://mtls.id.example.com/oauth/token" };
        var metadata = MetadataBuilder.Build(TestIssuer, ["openid"], aliases);

        Assert.True(metadata.TlsClientCertificateBoundAccessTokens);
        Assert.Same(aliases, metadata.MtlsEndpointAliases);
        Assert.Equal(["client_secret_basic", "client_secret_post", "private_key_jwt", "none", "tls_client_auth", "self_signed_tls_client_auth"],
            metadata.TokenEndpointAuthMethodsSupported!);
        Assert.Equal(["client_secret_basic", "client_secret_post", "private_key_jwt", "none", "tls_client_auth", "self_signed_tls_client_auth"],
            metadata.RevocationEndpointAuthMethodsSupported!);
        Assert.Equal(["client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"],
            metadata.IntrospectionEndpointAuthMethodsSupported!);
        // The rest of the document is the one without mutual TLS.
        var plain = MetadataBuilder.Build(TestIssuer, ["openid"]);
        Assert.Equal(plain.TokenEndpoint, metadata.TokenEndpoint);
        Assert.Equal(plain.ScopesSupported, metadata.ScopesSupported);
    }

    [Fact]
    public void WithoutATrustedClientAuthorityOnlySelfSignedCertificatesAreOffered()
    {
        var metadata = MetadataBuilder.Build(TestIssuer, ["openid"], new MtlsEndpointAliases { TokenEndpoint = "https://mtls.id.example.com/oauth/token" },
            trustsClientAuthorities: false);

        Assert.DoesNotContain("tls_client_auth", metadata.TokenEndpointAuthMethodsSupported!);
        Assert.Contains("self_signed_tls_client_auth", metadata.TokenEndpointAuthMethodsSupported!);
    }

    [Fact]
    public void MtlsMembersUseRfc8705NamesAndLeaveOutEndpointsWithoutAlias()
    {
        var aliases = new MtlsEndpointAliases
        {
            TokenEndpoint = "https://mtls.id.example.com/oauth/token",
            IntrospectionEndpoint = "https://mtls.id.example.com/oauth/introspect",
        };
        var json = JsonSerializer.Serialize(MetadataBuilder.Build(TestIssuer, ["openid"], aliases), ProtocolJson.Options);
        using var document = JsonDocument.Parse(json);

        Assert.True(document.RootElement.GetProperty("tls_client_certificate_bound_access_tokens").GetBoolean());
        var members = document.RootElement.GetProperty("mtls_endpoint_aliases");
        Assert.Equal(["token_endpoint", "introspection_endpoint"], members.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("https://mtls.id.example.com/oauth/token", members.GetProperty("token_endpoint").GetString());
        Assert.Equal("https://mtls.id.example.com/oauth/introspect", members.GetProperty("introspection_endpoint").GetString());
    }
}
