using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 6750 §3: the WWW-Authenticate values a resource server answers with.</summary>
public class BearerChallengeTests
{
    [Fact]
    public void ARequestWithoutATokenGetsTheSchemeAloneWithNoErrorCode() => Assert.Equal("Bearer", BearerChallenge.Missing);

    [Fact]
    public void AMalformedHeaderIsAnInvalidRequest() => Assert.Equal("Bearer error=\"invalid_request\"", BearerChallenge.InvalidRequest);

    [Fact]
    public void AnInvalidTokenSaysWhy() =>
        Assert.Equal("Bearer error=\"invalid_token\", error_description=\"The access token expired.\"", BearerChallenge.InvalidToken("The access token expired."));

    [Fact]
    public void InsufficientScopeNamesTheScopesThatWouldPassSpaceSeparated() =>
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"incident.read incident.write\"",
            BearerChallenge.InsufficientScope(["incident.read", "incident.write"]));

    [Fact]
    public void InsufficientScopeWithNoScopeThatWouldPassNamesNone() =>
        Assert.Equal("Bearer error=\"insufficient_scope\"", BearerChallenge.InsufficientScope([]));
}
