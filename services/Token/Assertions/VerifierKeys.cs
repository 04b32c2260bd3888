using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Security;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// A client's verifier settings (from the registry, cached with the client) and the keys they
/// name: inline JWKs and certificates, the shared key, and the keys at its JWKS URL (see
/// <see cref="RemoteKeySets"/>), cached for the client's lifespan and refetched once on an unknown kid.
/// </summary>
public sealed class VerifierKeys(IServiceProvider services, RemoteKeySets remoteKeys)
{
    private readonly CachedLookup<string, VerifierSettings?> _settings = new(async (id, ct) =>
    {
        var reply = await services.GetRequiredService<ClientRegistryClient>().GetVerifierKeysAsync(new GetVerifierKeysRequest { ClientId = id }, cancellationToken: ct);
        return reply.Found ? JsonSerializer.Deserialize<VerifierSettings>(reply.SettingsJson, JsonSerializerOptions.Web) : null;
    });

    /// <summary>Any change to a client may change its keys (a client created drops a cached "unknown").</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ClientCreated>.Key((VerifierKeys k) => k._settings, e => e.ClientId),
        InvalidateOn<ClientUpdated>.Key((VerifierKeys k) => k._settings, e => e.ClientId),
        InvalidateOn<ClientDeleted>.Key((VerifierKeys k) => k._settings, e => e.ClientId),
        InvalidateOn<ClientSecretRotated>.Key((VerifierKeys k) => k._settings, e => e.ClientId),
    ];

    public ValueTask<VerifierSettings?> SettingsAsync(string clientId, CancellationToken cancellationToken) => _settings.GetAsync(clientId, cancellationToken);

    /// <param name="refetch">The last attempt met an unknown kid: fetch the JWKS again (rate-limited).</param>
    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(VerifierSettings settings, bool refetch, CancellationToken cancellationToken)
    {
        var keys = new List<SecurityKey>(settings.InlineKeys());
        if (settings.JwksUri is { } uri)
        {
            keys.AddRange(await remoteKeys.KeysAsync(uri, settings.JwksCacheDuration, refetch, cancellationToken));
        }

        return keys;
    }

    /// <summary>
    /// A refusal's reason, with why the client's JWKS could not be fetched when no key matched:
    /// for the audit trail, never the response.
    /// </summary>
    public string Explain(AssertionResult result, VerifierSettings? settings) =>
        result.Failure == AssertionFailure.UnknownKey && settings?.JwksUri is { } uri && remoteKeys.FetchProblem(uri) is { } problem
            ? $"{result.Reason} (JWKS unavailable: {problem})"
            : result.Reason;
}
