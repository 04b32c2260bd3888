using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Dpop;

/// <summary>
/// Server-provided DPoP nonces (RFC 9449 §8, §9) without storage: a nonce is its time slot and a MAC
/// of it, so every instance holding the same key issues and accepts the same values. A nonce is
/// accepted during its own slot and the next, so one handed out just before a rotation still works.
/// </summary>
/// <param name="key">The MAC key, shared by every instance (see <see cref="DeriveKey"/>); at least 16 bytes.</param>
/// <param name="lifetime">The length of a slot: a nonce lives between one and two of them.</param>
public sealed class DpopNonces(byte[] key, TimeSpan lifetime, TimeProvider time)
{
    private const int SlotBytes = 8;
    private const int MacBytes = 16;

    // base64url of slot and MAC (24 bytes): 32 characters, no padding.
    private const int NonceLength = 32;

    private readonly byte[] _key = key is { Length: >= 16 }
        ? (byte[])key.Clone()
        : throw new ArgumentException("A DPoP nonce key has at least 16 bytes.", nameof(key));

    private readonly long _slotSeconds = lifetime >= TimeSpan.FromSeconds(1)
        ? (long)lifetime.TotalSeconds
        : throw new ArgumentOutOfRangeException(nameof(lifetime), "A DPoP nonce lives at least a second.");

    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));
    private Issued? _issued;

    // Domain separation: the key could be derived for other uses too.
    private static ReadOnlySpan<byte> Label => "dpop-nonce"u8;

    /// <summary>The nonce of the current slot, computed once per slot.</summary>
    public string Issue()
    {
        var slot = CurrentSlot();
        var issued = Volatile.Read(ref _issued);
        if (issued is null || issued.Slot != slot)
        {
            // Two threads may both compute it at a slot change: same value, no lock needed.
            issued = new Issued(slot, Format(slot));
            Volatile.Write(ref _issued, issued);
        }

        return issued.Nonce;
    }

    /// <summary>True for a nonce of the current or the previous slot made with this key; false for anything else.</summary>
    public bool IsValid(string? nonce)
    {
        if (nonce is null || nonce.Length != NonceLength)
        {
            return false;
        }

        // Only the base64url alphabet: a nonce has one spelling, '+' and '/' are no synonyms.
        foreach (var c in nonce)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        Span<byte> bytes = stackalloc byte[SlotBytes + MacBytes];
        if (!Convert.TryFromBase64String(nonce.Replace('-', '+').Replace('_', '/'), bytes, out var written) || written != bytes.Length)
        {
            return false;
        }

        var slot = BinaryPrimitives.ReadInt64BigEndian(bytes);
        var current = CurrentSlot();
        if (slot != current && slot != current - 1)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(slot, expected);
        return CryptographicOperations.FixedTimeEquals(bytes[SlotBytes..], expected);
    }

    /// <summary>A fresh random key, for a single instance or tests.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>A key derived from a shared secret (HKDF-SHA256, RFC 5869), one per <paramref name="purpose"/>.</summary>
    public static byte[] DeriveKey(string secret, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, salt: null, info: Encoding.UTF8.GetBytes(purpose));
    }

    private long CurrentSlot() => _time.GetUtcNow().ToUnixTimeSeconds() / _slotSeconds;

    private string Format(long slot)
    {
        Span<byte> nonce = stackalloc byte[SlotBytes + MacBytes];
        BinaryPrimitives.WriteInt64BigEndian(nonce, slot);
        Mac(slot, nonce[SlotBytes..]);
        return Base64UrlEncoder.Encode(nonce.ToArray());
    }

    // HMAC-SHA256(key, "dpop-nonce" || slot), truncated to 128 bits.
    private void Mac(long slot, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[Label.Length + SlotBytes];
        Label.CopyTo(input);
        BinaryPrimitives.WriteInt64BigEndian(input[Label.Length..], slot);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        _ = HMACSHA256.HashData(_key, input, mac);
        mac[..MacBytes].CopyTo(destination);
    }

    private sealed record Issued(long Slot, string Nonce);
}
