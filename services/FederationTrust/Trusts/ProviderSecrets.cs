using System.Text;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// Seals our client secrets at trusted providers under federation-trust's own key-encryption key
/// (<c>Keys:EncryptionKey</c>, no other service holds it), bound to the trust's id: a sealed secret
/// cannot be moved to another trust's row. The key is read on first use, so a service without
/// provider clients runs without it.
/// </summary>
public sealed class ProviderSecrets(IConfiguration configuration)
{
    public const int MaxSecretLength = 512;
    private readonly Lazy<SecretBox> _box = new(() => new SecretBox(configuration["Keys:EncryptionKey"] ?? "", "oauthaspire trust provider client secrets v1"));

    public string Open(TrustRecord trust) =>
        Encoding.UTF8.GetString(_box.Value.Open(trust.ProviderClientSecret ?? throw new InvalidOperationException($"Trust {trust.Name} has no provider client secret."),
            trust.Id.ToString()));

    /// <summary>
    /// The trust with its provider secret settled: the one given, sealed; else the stored one while the
    /// client id and where it is sent (issuer, metadata, introspection endpoint) stay the same; none
    /// without a provider client. Otherwise (field, why not).
    /// </summary>
    public (TrustRecord Trust, (string Field, string Problem)? Problem) Settle(TrustRecord trust, ProviderClientDto? given, TrustRecord? existing)
    {
        if (given is null)
        {
            return (trust with { ProviderClientSecret = null }, null);
        }

        if (!ProviderClientAuthMethods.IsKnown(trust.ProviderClientAuth))
        {
            return (trust, ("providerClient.authMethod", $"must be {ProviderClientAuthMethods.Basic} or {ProviderClientAuthMethods.Post}"));
        }

        if (given.ClientSecret is { } secret)
        {
            return secret.Length is 0 or > MaxSecretLength || secret.Any(char.IsControl)
                ? (trust, ("providerClient.clientSecret", $"1-{MaxSecretLength} characters, no control characters"))
                : (trust with { ProviderClientSecret = _box.Value.Seal(Encoding.UTF8.GetBytes(secret), trust.Id.ToString()) }, null);
        }

        // Kept only while it would go where it went before: the same client at the same provider's same endpoints.
        return existing is { ProviderClientSecret: { } kept } && existing.ProviderClientId == trust.ProviderClientId && existing.Issuer == trust.Issuer
               && existing.MetadataUrl == trust.MetadataUrl && existing.IntrospectionEndpoint == trust.IntrospectionEndpoint
            ? (trust with { ProviderClientSecret = kept }, null)
            : (trust, ("providerClient.clientSecret", "is required (a save without one keeps the stored secret while the client id, issuer, metadata URL and introspection endpoint stay the same)"));
    }
}
