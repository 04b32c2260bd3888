using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Token.Keys;

/// <summary>
/// Encrypts signing keys at rest under the key-encryption key parameter (kept in the AppHost's
/// secrets, never beside the keys). The key id is authenticated data: a ciphertext cannot move rows.
/// </summary>
public sealed class KeyEncryption(IConfiguration configuration)
{
    private readonly SecretBox _box = new(configuration["Keys:EncryptionKey"] ?? "", "oauthaspire signing keys v1");

    public byte[] Encrypt(byte[] plaintext, string kid) => _box.Seal(plaintext, kid);

    public byte[] Decrypt(byte[] ciphertext, string kid) => _box.Open(ciphertext, kid);
}
