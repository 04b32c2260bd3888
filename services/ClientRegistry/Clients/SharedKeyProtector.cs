using System.Text;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>Seals HMAC shared keys of JWT verifiers under the key-encryption key (bound to the client id).</summary>
public sealed class SharedKeyProtector(IConfiguration configuration)
{
    private readonly SecretBox _box = new(configuration["Keys:EncryptionKey"] ?? "", "oauthaspire client shared keys v1");

    public byte[] Seal(string sharedKey, string clientId) => _box.Seal(Encoding.UTF8.GetBytes(sharedKey), clientId);

    public string Open(byte[] sealedKey, string clientId) => Encoding.UTF8.GetString(_box.Open(sealedKey, clientId));
}
