using System.Text.Json;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.Protocol.Federation;

namespace OAuthAspire.FederationTrust.Tests;

/// <summary>
/// A trust saved with fields omitted takes safe defaults: the template's stable user claim, the
/// issuer's discovery document, RS256, five minutes of skew, no one-time check, no automatic users,
/// no privileged users, active. What is given is kept, each value once.
/// </summary>
public class TrustDtoTests
{
    private static readonly Guid Id = Guid.Parse("0b6f8c3e-2d4a-4e1f-9c7b-5a3d2e1f0a9b");

    private static TrustDto Minimal(string? template = null, string? issuer = "https://login.corp.example/") =>
        new("corp-idp", template, issuer, null, null, null, null, null, null, null, null, null, null);

    [Fact]
    public void OmittedFieldsTakeTheSafeDefaults()
    {
        var trust = Minimal().ToRecord(Id);

        Assert.Equal(Id, trust.Id);
        Assert.Equal("corp-idp", trust.Name);
        Assert.Equal(TrustTemplates.Generic, trust.Template);
        Assert.Equal("https://login.corp.example/.well-known/openid-configuration", trust.MetadataUrl);
        Assert.Equal("sub", trust.UserClaim);
        Assert.Equal("user_name", trust.UserField);
        Assert.Equal(new[] { "RS256" }, trust.Algorithms);
        Assert.Equal(300, trust.ClockSkew);
        Assert.False(trust.JtiCheck);
        Assert.False(trust.AutoProvision);
        Assert.False(trust.AllowPrivilegedUsers);
        Assert.True(trust.Active);
        Assert.Empty(trust.ClientIds);
        Assert.Empty(trust.Scopes);
        Assert.Empty(trust.ToDto().Warnings);
    }

    [Fact]
    public void AnAzureAdTrustMapsTheObjectIdNotAnAddress() =>
        Assert.Equal("oid", Minimal(TrustTemplates.AzureAd, "https://login.microsoftonline.com/4f2c1a0e-8d3b-4c5a-9e7f-1b2d3c4e5f60/v2.0").ToRecord(Id).UserClaim);

    [Fact]
    public void WithoutAnIssuerNoDiscoveryUrlIsMadeUp() => Assert.Empty(Minimal(issuer: null).ToRecord(Id).MetadataUrl);

    [Fact]
    public void GivenValuesAreKeptEachOnce()
    {
        var trust = new TrustDto("corp-idp", TrustTemplates.Okta, "https://corp.okta.example", "https://corp.okta.example/oauth2/default/.well-known/openid-configuration",
            ["app-1", "app-2", "app-1"], "email", "email", ["ES256", "RS256", "ES256"], 30, true, true, ["table.read", "table.read"], false, true).ToRecord(Id);

        Assert.Equal("https://corp.okta.example/oauth2/default/.well-known/openid-configuration", trust.MetadataUrl);
        Assert.Equal(new[] { "app-1", "app-2" }, trust.ClientIds);
        Assert.Equal(("email", "email"), (trust.UserClaim, trust.UserField));
        Assert.Equal(new[] { "ES256", "RS256" }, trust.Algorithms);
        Assert.Equal(new[] { "table.read" }, trust.Scopes);
        Assert.Equal((30, true, true, false, true), (trust.ClockSkew, trust.JtiCheck, trust.AutoProvision, trust.Active, trust.AllowPrivilegedUsers));
    }

    [Fact]
    public void AnEmptyAlgorithmListMeansTheDefaultNotNone() =>
        Assert.Equal(new[] { "RS256" }, (Minimal() with { Algorithms = [] }).ToRecord(Id).Algorithms);

    [Fact]
    public void WhatASavedTrustRisksIsAnsweredWithIt()
    {
        var risky = (Minimal() with { UserClaim = "email", AllowPrivilegedUsers = true }).ToRecord(Id).ToDto();

        Assert.Equal(2, risky.Warnings.Count);
        Assert.Contains(risky.Warnings, w => w.StartsWith("userClaim 'email'", StringComparison.Ordinal));
        Assert.Contains(risky.Warnings, w => w.StartsWith("allowPrivilegedUsers", StringComparison.Ordinal));
    }

    [Fact]
    public void AStoredTrustReadsBackAsItWasSaved()
    {
        var saved = new TrustDto("corp-idp", TrustTemplates.Okta, "https://corp.okta.example", "https://corp.okta.example/.well-known/openid-configuration",
            ["app-1"], "sub", "sys_id", ["PS256"], 60, true, false, ["table.read"], true, false).ToRecord(Id);

        // Records holding arrays compare by reference: compare what they hold.
        Assert.Equal(JsonSerializer.Serialize(saved), JsonSerializer.Serialize(saved.ToDto().ToRecord(Id)));
    }
}
