using OAuthAspire.Protocol.Dpop;

namespace OAuthAspire.Protocol.Tests;

/// <summary>RFC 9449 §8: server nonces every instance with the key issues and accepts alike, for a slot and the next.</summary>
public class DpopNoncesTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    // The start of a slot: 1 800 000 000 is a multiple of 60.
    private static readonly DateTimeOffset SlotStart = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static readonly byte[] Key = DpopNonces.NewKey();

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = SlotStart;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly Clock _clock = new();

    private DpopNonces Nonces(byte[]? key = null) => new(key ?? Key, Lifetime, _clock);

    [Fact]
    public void AnIssuedNonceIsValid()
    {
        var nonces = Nonces();
        Assert.True(nonces.IsValid(nonces.Issue()));
    }

    [Fact]
    public void ANonceIs32Base64UrlCharacters() =>
        Assert.Matches("^[A-Za-z0-9_-]{32}$", Nonces().Issue());

    [Fact]
    public void WithinASlotTheNonceStaysTheSame()
    {
        var nonces = Nonces();
        var first = nonces.Issue();
        _clock.Now = SlotStart + Lifetime - TimeSpan.FromSeconds(1);
        Assert.Equal(first, nonces.Issue());
    }

    [Fact]
    public void TheNextSlotHasANewNonceAndThePreviousStillPasses()
    {
        var nonces = Nonces();
        var first = nonces.Issue();
        _clock.Now = SlotStart + Lifetime;
        var second = nonces.Issue();

        Assert.NotEqual(first, second);
        Assert.True(nonces.IsValid(first));
        Assert.True(nonces.IsValid(second));
    }

    [Fact]
    public void ANonceTwoSlotsOldIsRefused()
    {
        var nonces = Nonces();
        var first = nonces.Issue();
        _clock.Now = SlotStart + Lifetime + Lifetime;
        Assert.False(nonces.IsValid(first));
    }

    [Fact]
    public void ANonceOfAFutureSlotIsRefused()
    {
        var ahead = new Clock { Now = SlotStart + Lifetime };
        var fromTheFuture = new DpopNonces(Key, Lifetime, ahead).Issue();
        Assert.False(Nonces().IsValid(fromTheFuture));
    }

    [Fact]
    public void AnotherInstanceWithTheSameKeyIssuesAndAcceptsTheSameNonces()
    {
        var one = Nonces();
        var other = Nonces((byte[])Key.Clone());
        Assert.Equal(one.Issue(), other.Issue());
        Assert.True(other.IsValid(one.Issue()));
    }

    [Fact]
    public void ANonceMadeWithAnotherKeyIsRefused() =>
        Assert.False(Nonces().IsValid(Nonces(DpopNonces.NewKey()).Issue()));

    [Fact]
    public void ANonceWithOneCharacterChangedIsRefused()
    {
        var nonces = Nonces();
        var nonce = nonces.Issue();
        var last = nonce[^1] == 'A' ? 'B' : 'A';
        Assert.False(nonces.IsValid(nonce[..^1] + last));
    }

    // Bytes 0 to 31: a key whose nonces are written down below, computed apart from this code.
    private static readonly byte[] KnownKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void ANonceIsTheSlotBigEndianThenTheFirst16BytesOfItsHmac()
    {
        // Slot 1 800 000 000 / 60 = 30 000 000, then HMAC-SHA256(key, "dpop-nonce" || slot) cut to 16 bytes.
        Assert.Equal("AAAAAAHJw4CdiCuZP4xOKPUgXWWps_Hp", Nonces(KnownKey).Issue());
    }

    [Fact]
    public void TheStandardBase64SpellingOfANonceIsRefused()
    {
        // The same bytes written with '/' for '_': not the nonce that was issued.
        var nonces = Nonces(KnownKey);
        Assert.True(nonces.IsValid("AAAAAAHJw4CdiCuZP4xOKPUgXWWps_Hp"));
        Assert.False(nonces.IsValid("AAAAAAHJw4CdiCuZP4xOKPUgXWWps/Hp"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("nonce")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    public void GarbageIsRefusedWithoutThrowing(string? nonce) =>
        Assert.False(Nonces().IsValid(nonce));

    [Fact]
    public void AShortKeyIsRefused() =>
        Assert.Throws<ArgumentException>(() => new DpopNonces(new byte[15], Lifetime, _clock));

    [Fact]
    public void NewKeysAre32RandomBytes()
    {
        var first = DpopNonces.NewKey();
        Assert.Equal(32, first.Length);
        Assert.NotEqual(Convert.ToHexString(first), Convert.ToHexString(DpopNonces.NewKey()));
    }

    [Fact]
    public void ADerivedKeyDependsOnTheSecretAndThePurposeOnly()
    {
        static string Derive(string secret, string purpose) => Convert.ToHexString(DpopNonces.DeriveKey(secret, purpose));

        var key = Derive("a shared secret of the deployment", "dpop-nonce");
        Assert.Equal(64, key.Length);
        Assert.Equal(key, Derive("a shared secret of the deployment", "dpop-nonce"));
        Assert.NotEqual(key, Derive("a shared secret of the deployment", "another-purpose"));
        Assert.NotEqual(key, Derive("another secret", "dpop-nonce"));
    }

    [Fact]
    public void InstancesWithTheSameDerivedKeyAgree()
    {
        var one = Nonces(DpopNonces.DeriveKey("shared", "dpop-nonce"));
        var other = Nonces(DpopNonces.DeriveKey("shared", "dpop-nonce"));
        Assert.True(other.IsValid(one.Issue()));
    }
}
