using OAuthAspire.Protocol.Device;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 8628 §6.1: codes from twenty consonants, typed however the user likes, and nothing else looked up.</summary>
public class UserCodesTests
{
    [Fact]
    public void NewCodesAreEightConsonantsAndDiffer()
    {
        var codes = Enumerable.Range(0, 200).Select(_ => UserCodes.New()).ToArray();

        Assert.All(codes, code => Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{8}$", code));
        Assert.True(codes.Distinct().Count() > 195);
        // Every letter of the alphabet turns up: the draw is not skewed towards a part of it.
        Assert.Equal(20, codes.SelectMany(c => c).Distinct().Count());
    }

    [Fact]
    public void TheCodeIsShownInTwoGroupsOfFour() => Assert.Equal("BCDF-GHJK", UserCodes.Display("BCDFGHJK"));

    [Theory]
    [InlineData("BCDF-GHJK")]
    [InlineData("bcdf-ghjk")]
    [InlineData("bcdfghjk")]
    [InlineData(" Bc-Df gH-jK ")]
    [InlineData("BCDF_GHJK")]
    [InlineData("BCDF.GHJK")]
    [InlineData("BCDF\u2013GHJK")]
    public void CasePunctuationAndSpacesDoNotMatter(string typed) => Assert.Equal("BCDFGHJK", UserCodes.Normalize(typed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("BCDF-GHJ")]
    [InlineData("BCDF-GHJKL")]
    [InlineData("BCDF-GHJA")]
    [InlineData("BCDF-GHJ1")]
    [InlineData("ВCDF-GHJK")]
    [InlineData("---- ----")]
    public void AnythingElseIsNotACode(string? typed) => Assert.Null(UserCodes.Normalize(typed));

    [Fact]
    public void VeryLongInputIsNotReadAtAll() => Assert.Null(UserCodes.Normalize(new string('-', 40) + "BCDFGHJK"));
}
