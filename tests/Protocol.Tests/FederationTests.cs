using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

/// <summary>Every refusal rule for a trusted provider's token, and the trust registration rules.</summary>
public class FederationTests
{
    private const string ProviderIssuer = "https://login.example.net/tenant-1";
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly RsaSecurityKey PrivateKey = new(Rsa) { KeyId = "idp-1" };
    private static readonly RsaSecurityKey PublicKey = new(Rsa.ExportParameters(false)) { KeyId = "idp-1" };
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static readonly TrustSettings Trust = new()
    {
        Name = "example",
        Issuer = ProviderIssuer,
        MetadataUrl = ProviderIssuer + "/.well-known/openid-configuration",
        ClientIds = ["app-1", "app-2"],
        UserClaim = "oid",
    };

    private static string Sign(Dictionary<string, object?>? overrides = null, SigningCredentials? credentials = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = ProviderIssuer,
            ["sub"] = "pairwise-sub",
            ["oid"] = "8d1c6f5e-0000-4000-8000-000000000001",
            ["aud"] = "app-1",
            ["iat"] = Now.ToUnixTimeSeconds(),
            ["nbf"] = Now.ToUnixTimeSeconds(),
            ["exp"] = Now.AddHours(1).ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        foreach (var (name, value) in overrides ?? [])
        {
            if (value is null)
            {
                claims.Remove(name);
            }
            else
            {
                claims[name] = value;
            }
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = credentials ?? new SigningCredentials(PrivateKey, SecurityAlgorithms.RsaSha256),
        });
    }

    private static Task<ExternalTokenResult> Validate(string token, TrustSettings? trust = null, Func<string, DateTimeOffset, ValueTask<bool>>? useJti = null) =>
        ExternalTokens.ValidateAsync(token, trust ?? Trust, [PublicKey], Now, useJti);

    [Fact]
    public async Task AProvidersTokenIsAcceptedWithItsUserClaim()
    {
        var result = await Validate(Sign());
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("8d1c6f5e-0000-4000-8000-000000000001", result.UserClaimValue);
    }

    [Fact]
    public async Task AnotherIssuerIsRefused() =>
        Assert.Equal(AssertionFailure.WrongIssuer, (await Validate(Sign(new() { ["iss"] = ProviderIssuer + "/" }))).Failure);

    [Fact]
    public async Task ATamperedSignatureIsRefused()
    {
        var token = Sign();
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        Assert.Contains((await Validate(forged)).Failure, new[] { AssertionFailure.BadSignature, AssertionFailure.Malformed });
    }

    [Fact]
    public async Task AKeyOfSomeoneElseIsRefused()
    {
        var other = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "idp-1" };
        Assert.Equal(AssertionFailure.BadSignature, (await Validate(Sign(credentials: new SigningCredentials(other, SecurityAlgorithms.RsaSha256)))).Failure);
    }

    [Fact]
    public async Task AlgNoneIsRefused()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","kid":"idp-1"}""");
        var payload = Sign().Split('.')[1];
        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate($"{header}.{payload}.")).Failure);
    }

    [Fact]
    public async Task AnHmacKeyedWithTheProvidersPublicKeyIsRefused()
    {
        // Algorithm confusion: the public key's bytes as an HMAC secret.
        var secret = new SymmetricSecurityKey(Rsa.ExportRSAPublicKey()) { KeyId = "idp-1" };
        var forged = Sign(credentials: new SigningCredentials(secret, SecurityAlgorithms.HmacSha256));
        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate(forged)).Failure);
        var lax = Trust with { Algorithms = ["RS256", "HS256"] };
        Assert.False((await Validate(forged, lax)).IsValid);
    }

    [Fact]
    public async Task AnAlgorithmTheTrustDoesNotAllowIsRefused()
    {
        var token = Sign(credentials: new SigningCredentials(PrivateKey, SecurityAlgorithms.RsaSha512));
        Assert.Equal(AssertionFailure.AlgorithmNotAllowed, (await Validate(token)).Failure);
        Assert.True((await Validate(token, Trust with { Algorithms = ["RS512"] })).IsValid);
    }

    [Fact]
    public async Task AnAudienceTheTrustDoesNotAcceptIsRefused()
    {
        Assert.Equal(AssertionFailure.WrongAudience, (await Validate(Sign(new() { ["aud"] = "someone-elses-app" }))).Failure);
        Assert.True((await Validate(Sign(new() { ["aud"] = new[] { "other", "app-2" } }))).IsValid);
    }

    [Fact]
    public async Task AnExpiredTokenIsRefusedBeyondTheSkewOnly()
    {
        Assert.Equal(AssertionFailure.Expired, (await Validate(Sign(new() { ["exp"] = Now.AddSeconds(-301).ToUnixTimeSeconds(), ["iat"] = Now.AddHours(-1).ToUnixTimeSeconds(), ["nbf"] = null }))).Failure);
        Assert.True((await Validate(Sign(new() { ["exp"] = Now.AddSeconds(-200).ToUnixTimeSeconds(), ["iat"] = Now.AddHours(-1).ToUnixTimeSeconds(), ["nbf"] = null }))).IsValid);
    }

    [Fact]
    public async Task ATokenNotYetValidBeyondTheSkewIsRefused()
    {
        Assert.Equal(AssertionFailure.NotYetValid, (await Validate(Sign(new() { ["nbf"] = Now.AddSeconds(400).ToUnixTimeSeconds() }))).Failure);
        Assert.True((await Validate(Sign(new() { ["nbf"] = Now.AddSeconds(200).ToUnixTimeSeconds() }))).IsValid);
        Assert.Equal(AssertionFailure.NotYetValid, (await Validate(Sign(new() { ["nbf"] = Now.AddSeconds(100).ToUnixTimeSeconds() }), Trust with { ClockSkew = 30 })).Failure);
    }

    [Fact]
    public async Task AReplayedJtiIsRefusedOnlyWhenTheTrustChecksIt()
    {
        var used = new HashSet<string>();
        ValueTask<bool> UseJti(string jti, DateTimeOffset _) => ValueTask.FromResult(used.Add(jti));
        var token = Sign();
        var checking = Trust with { JtiCheck = true };

        Assert.True((await Validate(token, checking, UseJti)).IsValid);
        Assert.Equal(AssertionFailure.Replayed, (await Validate(token, checking, UseJti)).Failure);
        Assert.True((await Validate(token, Trust, UseJti)).IsValid);
        Assert.Equal(AssertionFailure.MissingJti, (await Validate(Sign(new() { ["jti"] = null }), checking, UseJti)).Failure);
    }

    [Fact]
    public async Task ATokenWithoutTheUserClaimIsRefused() =>
        Assert.Equal(AssertionFailure.MissingClaim, (await Validate(Sign(new() { ["oid"] = null }))).Failure);

    [Fact]
    public async Task AnOverlyLongLivedTokenIsRefused() =>
        Assert.Equal(AssertionFailure.LifetimeTooLong, (await Validate(Sign(new() { ["exp"] = Now.AddDays(3).ToUnixTimeSeconds() }))).Failure);

    [Theory]
    [InlineData("https://login.microsoftonline.com/common/v2.0")]
    [InlineData("https://login.microsoftonline.com/organizations/v2.0")]
    [InlineData("https://login.microsoftonline.com/consumers/v2.0")]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0")]
    [InlineData("https://login.microsoftonline.com/{tenantid}/v2.0")]
    [InlineData("https://evil.example/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")]
    public void AzureAdNeedsOneTenantByItsId(string issuer) => Assert.NotNull(TrustTemplates.IssuerProblem(TrustTemplates.AzureAd, issuer));

    [Theory]
    [InlineData("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")]
    [InlineData("https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/")]
    public void AzureAdAcceptsATenantSpecificIssuer(string issuer) => Assert.Null(TrustTemplates.IssuerProblem(TrustTemplates.AzureAd, issuer));

    [Fact]
    public void TemplatesMapTheProvidersStableSubject()
    {
        Assert.Equal("oid", TrustTemplates.DefaultUserClaim(TrustTemplates.AzureAd));
        foreach (var template in new[] { TrustTemplates.Okta, TrustTemplates.Auth0, TrustTemplates.Adfs, TrustTemplates.Google, TrustTemplates.Generic })
        {
            Assert.Equal("sub", TrustTemplates.DefaultUserClaim(template));
        }

        Assert.NotNull(TrustTemplates.UserClaimProblem(TrustTemplates.AzureAd, "email"));
        Assert.NotNull(TrustTemplates.UserClaimProblem(TrustTemplates.AzureAd, "preferred_username"));
        Assert.Null(TrustTemplates.UserClaimProblem(TrustTemplates.Okta, "email"));
        Assert.NotNull(TrustTemplates.UserClaimProblem(TrustTemplates.Generic, "name"));
    }

    [Theory]
    [InlineData(TrustTemplates.Google, "https://accounts.google.com", true)]
    [InlineData(TrustTemplates.Google, "https://accounts.google.com/", false)]
    [InlineData(TrustTemplates.Okta, "https://acme.okta.com/oauth2/default", true)]
    [InlineData(TrustTemplates.Okta, "https://acme.example.com", false)]
    [InlineData(TrustTemplates.Auth0, "https://acme.eu.auth0.com/", true)]
    [InlineData(TrustTemplates.Auth0, "https://acme.eu.auth0.com", false)]
    [InlineData(TrustTemplates.Adfs, "https://fs.acme.com/adfs", true)]
    [InlineData(TrustTemplates.Adfs, "https://fs.acme.com", false)]
    public void TemplatesCheckTheirIssuerShape(string template, string issuer, bool fits) =>
        Assert.Equal(fits, TrustTemplates.IssuerProblem(template, issuer) is null);

    [Fact]
    public void ARegistrationIsCheckedFieldByField()
    {
        var bad = Trust with
        {
            Name = "",
            Template = "keycloak",
            Issuer = "ftp://x",
            MetadataUrl = "http://provider.example/.well-known/openid-configuration",
            ClientIds = [],
            UserClaim = "name",
            UserField = "phone",
            Algorithms = ["HS256"],
            ClockSkew = 3600,
            Scopes = ["unknown.scope"],
        };
        var problems = TrustRules.Problems(bad, UrlProblem, new HashSet<string> { "useraccount" });
        Assert.Equal(["algorithms", "clientIds", "clockSkew", "issuer", "metadataUrl", "name", "scopes", "template", "userClaim", "userField"], problems.Keys.Order());
        Assert.Empty(TrustRules.Problems(Trust, UrlProblem, new HashSet<string>()));
        Assert.Contains("autoProvision", TrustRules.Problems(Trust with { AutoProvision = true, UserField = "sys_id" }, UrlProblem, new HashSet<string>()).Keys);
    }

    [Fact]
    public void AnExchangeNeedsASubjectTokenOfAnAcceptedTypeAndNoOtherTarget()
    {
        string[] targets = ["https://as.example/api", "https://as.example"];
        (TokenExchangeRequest? Request, ProtocolError? Error) Read(params (string, string?)[] values) => TokenExchange.Read(RequestParameters.Of(values), targets);
        const string subject = "eyJ.x.y";

        Assert.NotNull(Read(("subject_token", subject), ("subject_token_type", TokenExchange.IdTokenType)).Request);
        Assert.NotNull(Read(("subject_token", subject), ("subject_token_type", TokenExchange.JwtType), ("audience", "https://as.example/api")).Request);
        Assert.Equal("invalid_request", Read(("subject_token_type", TokenExchange.IdTokenType)).Error?.Error);
        Assert.NotNull(Read(("subject_token", subject), ("subject_token_type", TokenExchange.AccessTokenType)).Request);
        Assert.Equal("invalid_request", Read(("subject_token", subject), ("subject_token_type", "urn:ietf:params:oauth:token-type:saml2")).Error?.Error);
        Assert.Equal("invalid_request", Read(("subject_token", subject), ("subject_token_type", TokenExchange.IdTokenType), ("actor_token", "a")).Error?.Error);
        Assert.Equal("invalid_request", Read(("subject_token", subject), ("subject_token_type", TokenExchange.IdTokenType),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")).Error?.Error);
        Assert.Equal("invalid_target", Read(("subject_token", subject), ("subject_token_type", TokenExchange.IdTokenType), ("audience", "https://other.example")).Error?.Error);
        // A resource is an RFC 8707 indicator, decided with the API policies at the grant (ResourceIndicators).
        Assert.NotNull(Read(("subject_token", subject), ("subject_token_type", TokenExchange.IdTokenType), ("resource", "https://as.example/other")).Request);
    }

    private static readonly IReadOnlySet<string> AdminRoles = new HashSet<string> { "admin" };

    [Fact]
    public async Task MappingByEmailNeedsEmailVerifiedTrueAsAJsonBoolean()
    {
        var byEmail = Trust with { UserClaim = "email", UserField = "email" };
        var verified = await Validate(Sign(new() { ["email"] = "someone@example.net", ["email_verified"] = true }), byEmail);
        Assert.True(verified.IsValid, verified.Reason);
        Assert.Equal("someone@example.net", verified.UserClaimValue);

        foreach (var value in new object?[] { null, false, "true" })
        {
            var result = await Validate(Sign(new() { ["email"] = "someone@example.net", ["email_verified"] = value }), byEmail);
            Assert.False(result.IsValid, $"email_verified {value ?? "absent"}");
            Assert.Contains("email_verified", result.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EmailVerifiedIsNotAskedOfATrustMappingAStableClaim() =>
        Assert.True((await Validate(Sign(new() { ["email"] = "someone@example.net", ["email_verified"] = false }))).IsValid);

    [Fact]
    public void AUserHoldingAnAdministrativeRoleIsNotMappedUnlessTheTrustAllowsIt()
    {
        Assert.Equal(FederatedUsers.Privileged, FederatedUsers.Refusal(Trust, true, ["itil", "admin"], AdminRoles));
        Assert.Null(FederatedUsers.Refusal(Trust with { AllowPrivilegedUsers = true }, true, ["itil", "admin"], AdminRoles));
        Assert.Null(FederatedUsers.Refusal(Trust, true, ["itil"], AdminRoles));
    }

    [Fact]
    public void AnInactiveUserIsNotMappedEvenByATrustAllowingPrivilegedUsers() =>
        Assert.Equal(FederatedUsers.Inactive, FederatedUsers.Refusal(Trust with { AllowPrivilegedUsers = true }, false, ["admin"], AdminRoles));

    [Fact]
    public void OnlyAMutableClaimIsPinnedToTheProvidersSubject()
    {
        Assert.False(FederatedUsers.LinksBySubject(Trust));
        Assert.False(FederatedUsers.LinksBySubject(Trust with { UserClaim = "sub" }));
        foreach (var claim in new[] { "email", "upn", "preferred_username", "unique_name", "name" })
        {
            Assert.True(FederatedUsers.LinksBySubject(Trust with { UserClaim = claim }), claim);
        }

        // A stable claim is looked up as it is, even if a link were known.
        Assert.Equal(("user_name", "8d1c6f5e"), FederatedUsers.Lookup(Trust, "some-user", "8d1c6f5e"));
    }

    [Fact]
    public void ALinkedSubjectMapsToItsUserWhateverItsMutableClaimSaysNow()
    {
        var byEmail = Trust with { UserClaim = "email", UserField = "email" };
        Assert.Equal(("email", "first@example.net"), FederatedUsers.Lookup(byEmail, null, "first@example.net"));
        Assert.Equal(("sys_id", "linked-user"), FederatedUsers.Lookup(byEmail, "linked-user", "victim@example.net"));
    }

    [Fact]
    public void AUserLinkedToAnotherSubjectOfTheTrustIsNotMappedToANewOne()
    {
        var byEmail = Trust with { UserClaim = "email", UserField = "email" };
        // The user belongs to another subject (nOAuth: another tenant's user took the victim's address).
        Assert.NotNull(FederatedUsers.LinkRefusal(byEmail, "victim", subjectLinkedTo: null));
        // The subject got linked to someone else meanwhile.
        Assert.NotNull(FederatedUsers.LinkRefusal(byEmail, "victim", subjectLinkedTo: "someone-else"));
        // A concurrent first call of the same subject linked the same user.
        Assert.Null(FederatedUsers.LinkRefusal(byEmail, "victim", subjectLinkedTo: "victim"));
    }

    [Theory]
    [InlineData("email")]
    [InlineData("upn")]
    [InlineData("preferred_username")]
    public void ATrustMappingAMutableClaimIsSavedWithAWarning(string claim)
    {
        var trust = Trust with { UserClaim = claim };
        Assert.Empty(TrustRules.Problems(trust, UrlProblem, new HashSet<string>()));
        var warning = Assert.Single(TrustRules.Warnings(trust));
        Assert.StartsWith($"userClaim '{claim}'", warning);
        Assert.Equal(claim == "email", warning.Contains("email_verified", StringComparison.Ordinal));
    }

    [Fact]
    public void AStableClaimIsSavedWithoutWarningsAndAllowingPrivilegedUsersWarns()
    {
        Assert.Empty(TrustRules.Warnings(Trust));
        Assert.Empty(TrustRules.Warnings(Trust with { UserClaim = "sub" }));
        Assert.StartsWith("allowPrivilegedUsers", Assert.Single(TrustRules.Warnings(Trust with { AllowPrivilegedUsers = true })));
    }

    private static string? UrlProblem(string url) => url.StartsWith("https://", StringComparison.Ordinal) ? null : "must use https";
}
