using OAuthAspire.Directory.Users;

namespace OAuthAspire.Directory.Tests;

/// <summary>Passwords are stored salted and checked as such; a user without one (or without an account) never matches.</summary>
public class PasswordsTests
{
    private readonly Passwords _passwords = new();

    [Fact]
    public void TheRightPasswordMatchesItsHashAndNoOtherDoes()
    {
        var hash = _passwords.Hash("correct horse battery staple");

        Assert.True(_passwords.Verify(hash, "correct horse battery staple"));
        Assert.False(_passwords.Verify(hash, "Correct horse battery staple"));
        Assert.False(_passwords.Verify(hash, "correct horse battery staple "));
    }

    [Fact]
    public void TheSamePasswordIsStoredDifferentlyEachTimeAndNeverAsItself()
    {
        var first = _passwords.Hash("correct horse battery staple");
        var second = _passwords.Hash("correct horse battery staple");

        Assert.NotEqual(first, second);
        Assert.DoesNotContain("horse", first, StringComparison.Ordinal);
        Assert.True(_passwords.Verify(second, "correct horse battery staple"));
    }

    [Theory]
    [InlineData("decoy")]
    [InlineData("")]
    [InlineData("correct horse battery staple")]
    public void NoPasswordMatchesAUserWithoutOne(string password) => Assert.False(_passwords.Verify(null, password));
}
