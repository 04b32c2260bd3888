using System.Security.Cryptography;
using System.Text;

namespace OAuthAspire.Token.Keys;

/// <summary>
/// Encrypts signing keys at rest with AES-256-GCM under a key derived (HKDF-SHA256) from the
/// key-encryption key parameter. The key id is authenticated data, so a ciphertext cannot be
/// moved to another row.
/// </summary>
public sealed class KeyEncryption
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public KeyEncryption(IConfiguration configuration)
    {
        var secret = configuration["Keys:EncryptionKey"];
        if (string.IsNullOrEmpty(secret) || secret.Length < 32)
        {
            throw new InvalidOperationException("Keys:EncryptionKey must be set (at least 32 characters): it protects the signing keys at rest.");
        }

        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: "oauthaspire signing keys v1"u8.ToArray());
    }

    public byte[] Encrypt(byte[] plaintext, string kid)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(kid));
        return output;
    }

    public byte[] Decrypt(byte[] ciphertext, string kid)
    {
        var plaintext = new byte[ciphertext.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(ciphertext.AsSpan(0, NonceSize), ciphertext.AsSpan(NonceSize + TagSize), ciphertext.AsSpan(NonceSize, TagSize), plaintext,
            Encoding.UTF8.GetBytes(kid));
        return plaintext;
    }
}
