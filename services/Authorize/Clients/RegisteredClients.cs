using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Registration;
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

    /// <summary>
    /// For the authorization endpoint: a client_id that is a URL is asked of the registry uncached, letting it fetch
    /// the client's metadata document when it has none or a stale one; any other id is found as usual.
    /// </summary>
    public async ValueTask<RegisteredClient?> ResolveAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!ClientIdMetadataDocument.IsUrl(clientId))
        {
            return await FindAsync(clientId, cancellationToken);
        }

        var reply = await services.GetRequiredService<ClientRegistryClient>().GetClientAsync(new GetClientRequest { ClientId = clientId, Resolve = true },
            cancellationToken: cancellationToken);
        return reply.Found ? new RegisteredClient(reply.Client) : null;
    }
}
