using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.Protocol.Tests;

public class ScopeSetTests
{
    [Fact]
    public void ScopeParameterIsSplitOnSingleSpacesSortedAndDeduplicated()
    {
        Assert.True(ScopeSet.TryParse("profile openid profile", out var scopes));
        Assert.Equal(["openid", "profile"], scopes);
    }

    [Theory]
    [InlineData("openid  profile")]
    [InlineData(" openid")]
    [InlineData("openid\tprofile")]
    [InlineData("open\"id")]
    [InlineData("open\\id")]
    [InlineData("ünicode")]
    public void ScopeWithCharactersOutsideScopeTokenIsRejected(string value) =>
        Assert.False(ScopeSet.TryParse(value, out _));

    [Fact]
    public void AbsentScopeParsesAsNoScopes()
    {
        Assert.True(ScopeSet.TryParse(null, out var scopes));
        Assert.Empty(scopes);
    }

    [Fact]
    public void ScopeTokensAreCaseSensitive()
    {
        Assert.True(ScopeSet.TryParse("Read read", out var scopes));
        Assert.Equal(2, scopes.Count);
    }

    [Fact]
    public void RequestedScopesAllAllowedAreGranted()
    {
        var decision = ScopeDecision.Decide(["a", "b"], ["a", "b", "c"], ["c"]);
        Assert.True(decision.Granted);
        Assert.Equal(["a", "b"], decision.Scopes);
    }

    [Fact]
    public void ARequestForAScopeNotAllowedIsRefusedWholeNotNarrowed()
    {
        var decision = ScopeDecision.Decide(["a", "x"], ["a", "b"], []);
        Assert.False(decision.Granted);
        Assert.Empty(decision.Scopes);
        Assert.Equal(["x"], decision.Refused);
    }

    [Fact]
    public void NoScopeRequestedYieldsTheClientsDefaultScopes() =>
        Assert.Equal(["b"], ScopeDecision.Decide([], ["a", "b"], ["b"]).Scopes);

    [Fact]
    public void DefaultScopesThatAreNoLongerAllowedAreLeftOut() =>
        Assert.Equal(["b"], ScopeDecision.Decide([], ["b"], ["a", "b"]).Scopes);

    [Fact]
    public void AnInactiveScopeIsNotGrantedEvenWhenAllowed()
    {
        var decision = ScopeDecision.Decide(["a"], ["a"], [], active: new HashSet<string> { "b" });
        Assert.False(decision.Granted);
    }
}
