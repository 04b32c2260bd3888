using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Keys;

/// <summary>A published key, decrypted and ready to sign or verify.</summary>
public sealed record LoadedKey(string Kid, string Algorithm, DateTimeOffset ActivatesAt, DateTimeOffset? RetiresAt, DateTimeOffset? ExpiresAt,
    SecurityKey Key, SigningCredentials Credentials, JsonElement PublicJwk)
{
    public bool SignsAt(DateTimeOffset now) => ActivatesAt <= now && (RetiresAt is null || RetiresAt > now);

    public string Status(DateTimeOffset now) => ActivatesAt > now ? "pending" : SignsAt(now) ? "active" : "retired";
}

/// <summary>
/// This replica's view of the signing keys. Every replica loads the same rows and picks the key
/// whose activation time has come most recently, so they agree on the signing key without talking.
/// </summary>
public sealed class SigningKeys(SigningKeyStore store, KeyEncryption encryption, ILogger<SigningKeys> logger)
{
    private volatile IReadOnlyList<LoadedKey> _keys = [];

    public IReadOnlyList<LoadedKey> All => _keys;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var rows = await store.LoadPublishedAsync(cancellationToken);
        var current = _keys.ToDictionary(k => k.Kid);
        _keys = rows.Select(r => current.TryGetValue(r.Kid, out var known) && known.RetiresAt == DatabaseTime.Utc(r.RetiresAt) ? known : Load(r)).ToArray();
    }

    /// <summary>The key that signs now, for <paramref name="algorithm"/> (one of <see cref="Protocol.Tokens.SigningAlgorithms.Supported"/>).</summary>
    public LoadedKey Signing(string algorithm, DateTimeOffset now)
    {
        LoadedKey? best = null;
        foreach (var key in _keys)
        {
            if (key.Algorithm == algorithm && key.SignsAt(now) && (best is null || key.ActivatesAt > best.ActivatesAt))
            {
                best = key;
            }
        }

        return best ?? throw new InvalidOperationException($"No {algorithm} signing key is active.");
    }

    /// <summary>Every published key (pending, active, retiring): what validates tokens and what the JWKS lists.</summary>
    public IEnumerable<SecurityKey> ValidationKeys => _keys.Select(k => k.Key);

    private LoadedKey Load(SigningKeyRow row)
    {
        var pkcs8 = encryption.Decrypt(row.PrivateKey, row.Kid);
        try
        {
            AsymmetricSecurityKey key;
            if (row.Alg == SecurityAlgorithms.EcdsaSha256)
            {
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new ECDsaSecurityKey(ec) { KeyId = row.Kid };
            }
            else
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new RsaSecurityKey(rsa) { KeyId = row.Kid };
            }

            logger.LogInformation("Loaded signing key {Kid} ({Algorithm}), active from {ActivatesAt:O}", row.Kid, row.Alg, row.ActivatesAt);
            return new LoadedKey(row.Kid, row.Alg, DatabaseTime.Utc(row.ActivatesAt), DatabaseTime.Utc(row.RetiresAt), DatabaseTime.Utc(row.ExpiresAt), key,
                new SigningCredentials(key, row.Alg), JsonDocument.Parse(row.PublicJwk).RootElement.Clone());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
