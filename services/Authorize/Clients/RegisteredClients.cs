using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Authorize.Clients;

/// <summary>Clients from the registry, cached briefly and dropped within a second of any change.</summary>
public sealed class RegisteredClients(IServiceProvider services)
{
    private readonly CachedLookup<string, RegisteredClient?> _cache = new(async (id, ct) =>
    {
        var reply = await services.GetRequiredService<ClientRegistryClient>().GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
        return reply.Found ? new RegisteredClient(reply.Client) : null;
    });

    /// <summary>Events that change a client (a client created drops a cached "unknown" left by a request for the id before).</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ClientCreated>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
        InvalidateOn<ClientUpdated>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
        InvalidateOn<ClientDeleted>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
    ];

    public ValueTask<RegisteredClient?> FindAsync(string clientId, CancellationToken cancellationToken) => _cache.GetAsync(clientId, cancellationToken);
}
