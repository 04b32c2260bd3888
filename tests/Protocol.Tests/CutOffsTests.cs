using OAuthAspire.Protocol.Tokens;

namespace OAuthAspire.Protocol.Tests;

public class CutOffsTests
{
    private static readonly DateTimeOffset Change = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000).AddMilliseconds(400);

    private static AccessTokenContent Token(string subject, string clientId, DateTimeOffset issuedAt) =>
        new("https://issuer.example", "https://issuer.example/api", clientId, subject, ["useraccount"], [], "jti-1", issuedAt, issuedAt.AddMinutes(30));

    [Fact]
    public void ATokenOfAUserIssuedBeforeTheUsersCutOffIsRefused()
    {
        var cutOffs = new CutOffs();
        cutOffs.Set(CutOffs.User, "u1", Change);

        Assert.True(cutOffs.Refuses(Token("u1", "c1", Change.AddMinutes(-5))));
        Assert.False(cutOffs.Refuses(Token("u2", "c1", Change.AddMinutes(-5))));
    }

    [Fact]
    public void ATokenIssuedInTheSameSecondAsTheChangeIsRefusedToo() =>
        Assert.True(CutOffs.Refuses(Change, DateTimeOffset.FromUnixTimeSeconds(Change.ToUnixTimeSeconds())));

    [Fact]
    public void ATokenIssuedAfterTheCutOffIsAccepted()
    {
        var cutOffs = new CutOffs();
        cutOffs.Set(CutOffs.User, "u1", Change);
        Assert.False(cutOffs.Refuses(Token("u1", "c1", Change.AddSeconds(1))));
    }

    [Fact]
    public void AClientsCutOffCoversEveryTokenOfTheClientWhateverItsUser()
    {
        var cutOffs = new CutOffs();
        cutOffs.Set(CutOffs.Client, "c1", Change);
        Assert.True(cutOffs.Refuses(Token("u9", "c1", Change.AddSeconds(-1))));
        Assert.False(cutOffs.Refuses(Token("u9", "c2", Change.AddSeconds(-1))));
    }

    [Fact]
    public void AnOlderCutOffArrivingLateDoesNotMoveTheLaterOneBack()
    {
        var cutOffs = new CutOffs();
        cutOffs.Set(CutOffs.User, "u1", Change);
        cutOffs.Set(CutOffs.User, "u1", Change.AddHours(-1));
        Assert.True(cutOffs.Refuses(Token("u1", "c1", Change.AddMinutes(-1))));
    }

    [Fact]
    public void CutOffsOlderThanAnyTokenCanLiveAreForgotten()
    {
        var cutOffs = new CutOffs();
        cutOffs.Set(CutOffs.User, "old", Change - CutOffs.Relevance - TimeSpan.FromMinutes(1));
        cutOffs.Set(CutOffs.User, "new", Change);
        cutOffs.PurgeBefore(Change);
        Assert.Equal(1, cutOffs.Count);
    }
}
