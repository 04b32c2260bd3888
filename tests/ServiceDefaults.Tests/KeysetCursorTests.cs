using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.ServiceDefaults.Tests;

public sealed class KeysetCursorTests
{
    [Fact]
    public void ACursorComesBackAsTheTimeAndIdItWasMadeOf()
    {
        var at = new DateTime(2026, 12, 2, 10, 30, 15, DateTimeKind.Utc).AddTicks(1234560);
        var encoded = new KeysetCursor(at, "b6E1:x_-y").Encode();

        Assert.True(KeysetCursor.TryDecode(encoded, out var cursor));
        Assert.Equal(at, cursor!.Value.At);
        Assert.Equal(DateTimeKind.Utc, cursor.Value.At.Kind);
        Assert.Equal("b6E1:x_-y", cursor.Value.Id);
    }

    [Fact]
    public void NoCursorIsTheFirstPage()
    {
        Assert.True(KeysetCursor.TryDecode(null, out var cursor));
        Assert.Null(cursor);
        Assert.True(KeysetCursor.TryDecode("", out cursor));
        Assert.Null(cursor);
    }

    [Theory]
    [InlineData("%%%")]
    [InlineData("bm90LWEtY3Vyc29y")] // "not-a-cursor"
    [InlineData("OjEyMw")] // ":123", no time
    [InlineData("LTE6YQ")] // "-1:a", before time began
    [InlineData("OTk5OTk5OTk5OTk5OTk5OTk5OTk6YQ")] // past DateTime.MaxValue
    public void ACursorNotOfOursIsRefused(string value) => Assert.False(KeysetCursor.TryDecode(value, out _));
}
