using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Token.Assertions;

/// <summary>
/// A client's verifier settings (from the registry, cached with the client) and the keys they
/// name: inline JWKs and certificates, the shared key, and the keys at its JWKS URL, fetched with a
/// timeout and a size limit, cached for the client's lifespan, refetched once on an unknown kid
/// but never more than every 10 seconds per URL.
/// </summary>
public sealed class VerifierKeys(IServiceProvider services, IHttpClientFactory httpClients, TimeProvider time, ILogger<VerifierKeys> logger)
{
    public const string HttpClientName = "client-jwks";
    private static readonly TimeSpan MinRefetch = TimeSpan.FromSeconds(10);
    private readonly ExpiringCache<string, VerifierSettings?> _settings = new(TimeSpan.FromSeconds(60));
    private readonly ConcurrentDictionary<string, (IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt)> _jwks = new();

    public ExpiringCache<string, VerifierSettings?> Settings => _settings;

    public ValueTask<VerifierSettings?> SettingsAsync(string clientId, CancellationToken cancellationToken) =>
        _settings.GetOrAddAsync(clientId, async (id, ct) =>
        {
            var reply = await services.GetRequiredService<ClientRegistryClient>().GetVerifierKeysAsync(new GetVerifierKeysRequest { ClientId = id }, cancellationToken: ct);
            return reply.Found ? JsonSerializer.Deserialize<VerifierSettings>(reply.SettingsJson, JsonSerializerOptions.Web) : null;
        }, cancellationToken);

    /// <param name="refetch">The last attempt met an unknown kid: fetch the JWKS again (rate-limited).</param>
    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(VerifierSettings settings, bool refetch, CancellationToken cancellationToken)
    {
        var keys = new List<SecurityKey>(settings.InlineKeys());
        if (settings.JwksUri is { } uri)
        {
            keys.AddRange(await JwksAsync(uri, settings.JwksCacheDuration, refetch, cancellationToken));
        }

        return keys;
    }

    private async Task<IReadOnlyList<SecurityKey>> JwksAsync(string uri, TimeSpan lifespan, bool refetch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_jwks.TryGetValue(uri, out var cached) && (now - cached.FetchedAt < lifespan && !refetch || now - cached.FetchedAt < MinRefetch))
        {
            return cached.Keys;
        }

        try
        {
            var json = await httpClients.CreateClient(HttpClientName).GetStringAsync(uri, cancellationToken);
            var keys = new JsonWebKeySet(json).Keys.Where(k => k.Use is null or "sig").Cast<SecurityKey>().ToArray();
            _jwks[uri] = (keys, now);
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            // Keep serving what we had: a provider outage must not lock its clients out.
            logger.LogWarning("Could not fetch a client's JWKS: {Reason}", e.Message);
            _jwks[uri] = (cached.Keys ?? [], now);
            return cached.Keys ?? [];
        }
    }
}
