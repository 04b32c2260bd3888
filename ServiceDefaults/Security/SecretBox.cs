using System.Security.Cryptography;
using System.Text;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Authenticated encryption (AES-256-GCM) under a key derived with HKDF-SHA256 from a secret
/// parameter and a purpose label, so one secret yields independent keys for independent uses.
/// The associated data binds a ciphertext to its row.
/// </summary>
public sealed class SecretBox
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretBox(string secret, string purpose)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length < 32)
        {
            throw new InvalidOperationException($"The secret protecting {purpose} must be set (at least 32 characters).");
        }

        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: Encoding.UTF8.GetBytes(purpose));
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedBytes, string associatedData)
    {
        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedBytes[..NonceSize], sealedBytes[(NonceSize + TagSize)..], sealedBytes.Slice(NonceSize, TagSize), plaintext,
            Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
