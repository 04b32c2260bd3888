using OAuthAspire.Directory.Users;

namespace OAuthAspire.Directory.Tests;

/// <summary>What a user must satisfy, each refusal naming its field.</summary>
public class UserRulesTests
{
    private static readonly UserDto Valid = new(null, "ada.lovelace", "ada@example.com", "Ada", "Lovelace", ["oauth_admin", "table.reader"], true,
        "a long enough password");

    private static string[] FieldsRefused(UserDto user, bool passwordRequired = true) =>
        [.. UserRules.Check(user, passwordRequired).Errors.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void AUserWithEveryFieldRightPasses() => Assert.True(UserRules.Check(Valid, passwordRequired: true).IsValid);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" ada")]
    [InlineData("ada ")]
    [InlineData("ada\nlovelace")]
    public void AUserNameIsRequiredWithoutControlCharactersOrSurroundingSpaces(string? userName) =>
        Assert.Equal(new[] { "userName" }, FieldsRefused(Valid with { UserName = userName }));

    [Fact]
    public void AUserNameIsAtMost100Characters()
    {
        Assert.Empty(FieldsRefused(Valid with { UserName = new string('a', 100) }));
        Assert.Equal(new[] { "userName" }, FieldsRefused(Valid with { UserName = new string('a', 101) }));
    }

    [Theory]
    [InlineData("ada")]
    [InlineData("@example.com")]
    [InlineData("ada@")]
    [InlineData("ada lovelace@example.com")]
    [InlineData("ada@example.com\t")]
    public void AnEmailMustLookLikeAnAddress(string email) =>
        Assert.Equal(new[] { "email" }, FieldsRefused(Valid with { Email = email }));

    [Fact]
    public void AnEmailIsOptionalAndAtMost254Characters()
    {
        Assert.Empty(FieldsRefused(Valid with { Email = null }));
        Assert.Empty(FieldsRefused(Valid with { Email = new string('a', 242) + "@example.com" }));
        Assert.Equal(new[] { "email" }, FieldsRefused(Valid with { Email = new string('a', 243) + "@example.com" }));
    }

    [Fact]
    public void NamesAreAtMost100Characters() =>
        Assert.Equal(new[] { "firstName", "lastName" }, FieldsRefused(Valid with { FirstName = new string('a', 101), LastName = new string('b', 101) }));

    [Theory]
    [InlineData("Admin")]
    [InlineData("table reader")]
    [InlineData("")]
    [InlineData("role/../admin")]
    public void ARoleNameIsLowercaseLettersDigitsAndDotsDashesUnderscores(string role)
    {
        var errors = UserRules.Check(Valid with { Roles = ["oauth_admin", role] }, passwordRequired: true).Errors;

        var message = Assert.Single(Assert.Single(errors, e => e.Key == "roles").Value);
        Assert.Contains($"'{role}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARoleNameIsAtMost64Characters()
    {
        Assert.Empty(FieldsRefused(Valid with { Roles = [new string('r', 64)] }));
        Assert.Equal(new[] { "roles" }, FieldsRefused(Valid with { Roles = [new string('r', 65)] }));
    }

    [Theory]
    [InlineData(UserRules.MinPasswordLength - 1, false)]
    [InlineData(UserRules.MinPasswordLength, true)]
    [InlineData(UserRules.MaxPasswordLength, true)]
    [InlineData(UserRules.MaxPasswordLength + 1, false)]
    public void APasswordHasABoundedLength(int length, bool accepted) =>
        Assert.Equal(accepted, UserRules.Check(Valid with { Password = new string('p', length) }, passwordRequired: true).IsValid);

    [Fact]
    public void APasswordIsRequiredOnlyWhereTheCallerSaysSo()
    {
        Assert.Equal(new[] { "password" }, FieldsRefused(Valid with { Password = null }, passwordRequired: true));
        Assert.Empty(FieldsRefused(Valid with { Password = null }, passwordRequired: false));
        Assert.Equal(new[] { "password" }, FieldsRefused(Valid with { Password = "short" }, passwordRequired: false));
    }

    [Fact]
    public void EveryFieldAtFaultIsNamedAtOnce() =>
        Assert.Equal(new[] { "email", "password", "roles", "userName" },
            FieldsRefused(new UserDto(null, "", "not-an-address", null, null, ["Admin"], true, "short")));

    [Fact]
    public void NewSysIdsAreDistinctHexStrings()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => UserRules.NewSysId()).ToArray();

        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }
}
