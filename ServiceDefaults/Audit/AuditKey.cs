using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>
/// A service's audit key (EC P-256, the AppHost's secret parameter <c>audit-key-&lt;service&gt;</c>, kept
/// outside the database): it signs the chains' checkpoints, and the HMAC key derived from it
/// (<see cref="AuditCloudEvent.MacKeyOf"/>) MACs every event, so whoever can write the database
/// still cannot make a link of the chain.
/// </summary>
public sealed class AuditKey : IDisposable
{
    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly Lock _signing = new();

    /// <param name="key">Owned.</param>
    public AuditKey(ECDsa key)
    {
        _key = key;
        MacKey = AuditCloudEvent.MacKeyOf(key);
        KeyId = ServiceKeys.KeyIdOf(key);
        _credentials = new SigningCredentials(new ECDsaSecurityKey(key)
        {
            KeyId = KeyId,
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        }, SecurityAlgorithms.EcdsaSha256);
    }

    public byte[] MacKey { get; }

    public string KeyId { get; }

    /// <summary>
    /// From base64 PKCS#8 (<c>Audit:Key</c>). Without one, a key of this process alone when
    /// <paramref name="allowEphemeral"/> (development, tests: its MACs and checkpoints verify against
    /// nothing pinned); otherwise the service refuses to start rather than write events nobody can verify.
    /// </summary>
    public static AuditKey From(string? privateKey, bool allowEphemeral = true) =>
        !string.IsNullOrEmpty(privateKey) ? new(ServiceKeys.ImportPrivate(privateKey))
        : allowEphemeral ? new(ECDsa.Create(ECCurve.NamedCurves.nistP256))
        : throw new InvalidOperationException("Audit:Key is missing: the AppHost's audit-key-<service> parameter must reach the service.");

    /// <summary>A compact JWS over the checkpoint's chain, position, head, time and source.</summary>
    public string SignCheckpoint(string chain, long position, string head, DateTimeOffset time, string source, bool final)
    {
        var payload = JsonSerializer.Serialize(new ChainCheckpointClaims(chain, position, head, time.ToUnixTimeMilliseconds(), source, final));
        lock (_signing)
        {
            return _handler.CreateToken(payload, _credentials, new Dictionary<string, object> { [JwtHeaderParameterNames.Typ] = ChainCheckpointJws.Type });
        }
    }

    public void Dispose() => _key.Dispose();
}
