using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>
/// Client secrets are 256-bit random values, shown once and stored only as SHA-256: for a value
/// that random, a fast hash is as safe as a slow one, and costs microseconds per token request.
/// </summary>
public static class ClientSecrets
{
    public static string Generate() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Whether <paramref name="secret"/> is the one stored, compared in constant time.</summary>
    public static bool Matches(string secret, byte[] hash) => CryptographicOperations.FixedTimeEquals(Hash(secret), hash);
}
