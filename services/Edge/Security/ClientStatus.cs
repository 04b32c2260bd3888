using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Whether a client is active, cached per client and dropped within a second of any change to it,
/// so the tokens of a deactivated or deleted client stop working at once.
/// </summary>
public sealed class ClientStatus(IServiceProvider services)
{
    private readonly CachedLookup<string, Client?> _cache = new(async (id, ct) =>
    {
        var reply = await services.GetRequiredService<ClientRegistryClient>().GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
        return reply.Found ? reply.Client : null;
    });

    /// <summary>Events that change a client (a client created drops a cached "unknown" left by a request for the id before).</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ClientCreated>.Key((ClientStatus s) => s._cache, e => e.ClientId),
        InvalidateOn<ClientUpdated>.Key((ClientStatus s) => s._cache, e => e.ClientId),
        InvalidateOn<ClientDeleted>.Key((ClientStatus s) => s._cache, e => e.ClientId),
    ];

    public ValueTask<Client?> GetAsync(string clientId, CancellationToken cancellationToken) => _cache.GetAsync(clientId, cancellationToken);
}
