using System.Text.Json;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.Protocol.Tests;

/// <summary>What a registration policy lets a self-registered client have, and what no policy can.</summary>
public class RegistrationPolicyRulesTests
{
    private static readonly RegistrationPolicy Web = new("web", ["authorization_code", "refresh_token"], ["openid", "profile", "useraccount"],
        ["client_secret_basic", "private_key_jwt", "none"], RedirectRule.Https, 3600, 86_400);

    private static ClientMetadata Metadata(string json) => ClientMetadata.Read(JsonDocument.Parse(json).RootElement).Metadata!;

    [Fact]
    public void WithinThePolicyTheClientGetsWhatItAskedOrThePolicysScopes()
    {
        var (scopes, error) = RegistrationPolicyRules.Apply(Metadata("""{"redirect_uris":["https://a.example.com/cb"],"scope":"openid profile"}"""), Web);
        Assert.Null(error);
        Assert.Equal(["openid", "profile"], scopes);
        Assert.Equal(["openid", "profile", "useraccount"], RegistrationPolicyRules.Apply(Metadata("""{"redirect_uris":["https://a.example.com/cb"]}"""), Web).Scopes);
    }

    [Theory]
    [InlineData("""{"redirect_uris":["https://a.example.com/cb"],"scope":"openid admin.api"}""", "scope")]
    [InlineData("""{"redirect_uris":["https://a.example.com/cb"],"scope":"email"}""", "scope")]
    [InlineData("""{"grant_types":["client_credentials"],"response_types":[]}""", "grant_types")]
    [InlineData("""{"redirect_uris":["https://a.example.com/cb"],"token_endpoint_auth_method":"client_secret_post"}""", "token_endpoint_auth_method")]
    [InlineData("""{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}""", "redirect_uris[0]")]
    public void AnythingOutsideThePolicyIsRefusedNamingTheField(string json, string field)
    {
        var (_, error) = RegistrationPolicyRules.Apply(Metadata(json), Web);
        Assert.Equal(field, error!.Field);
        Assert.Equal(field.StartsWith("redirect_uris", StringComparison.Ordinal) ? "invalid_redirect_uri" : "invalid_client_metadata", error.Error);
    }

    [Fact]
    public void ANativePolicyAdmitsLoopbackAndPrivateUseRedirects() =>
        Assert.Null(RegistrationPolicyRules.Apply(Metadata("""{"redirect_uris":["http://127.0.0.1/cb","com.example.app:/cb"],"token_endpoint_auth_method":"none"}"""),
            Web with { RedirectUris = RedirectRule.Native }).Error);

    [Fact]
    public void NoPolicyGivesAdminScopesLegacyGrantsOrClientCredentialsWithoutAnApplicationUser()
    {
        Assert.Contains("admin.api", RegistrationPolicyRules.CheckPolicy(Web with { Scopes = ["openid", "admin.api"] }));
        Assert.Contains("password", RegistrationPolicyRules.CheckPolicy(Web with { GrantTypes = ["authorization_code", "password"] }));
        Assert.Contains("applicationUser", RegistrationPolicyRules.CheckPolicy(Web with { GrantTypes = ["client_credentials"] }));
        Assert.Null(RegistrationPolicyRules.CheckPolicy(Web with { GrantTypes = ["client_credentials"], ApplicationUser = "svc-reports" }));
        Assert.Contains("accessTokenLifespan", RegistrationPolicyRules.CheckPolicy(Web with { AccessTokenLifespan = 10 }));
        Assert.Null(RegistrationPolicyRules.CheckPolicy(Web));

        // Even a policy built around these rules (not through CheckPolicy) never hands them out.
        var sloppy = Web with { GrantTypes = ["authorization_code", "implicit"], Scopes = ["admin.api"] };
        Assert.Equal("scope", RegistrationPolicyRules.Apply(Metadata("""{"redirect_uris":["https://a.example.com/cb"],"scope":"admin.api"}"""), sloppy).Error!.Field);
        Assert.Empty(RegistrationPolicyRules.Apply(Metadata("""{"redirect_uris":["https://a.example.com/cb"]}"""), sloppy).Scopes);
    }
}
