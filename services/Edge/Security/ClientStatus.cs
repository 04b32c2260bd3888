using MassTransit;
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
    private readonly ExpiringCache<string, Client?> _cache = new(TimeSpan.FromSeconds(60));

    public ExpiringCache<string, Client?> Cache => _cache;

    public ValueTask<Client?> GetAsync(string clientId, CancellationToken cancellationToken) =>
        _cache.GetOrAddAsync(clientId, async (id, ct) =>
        {
            var reply = await services.GetRequiredService<ClientRegistryClient>().GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
            return reply.Found ? reply.Client : null;
        }, cancellationToken);
}

public sealed class ClientChangedConsumer(ClientStatus clients) : IConsumer<ClientCreated>, IConsumer<ClientUpdated>, IConsumer<ClientDeleted>
{
    // A request for the id before it was registered left "unknown" in the cache.
    public Task Consume(ConsumeContext<ClientCreated> context) => Drop(context.Message.ClientId);

    public Task Consume(ConsumeContext<ClientUpdated> context) => Drop(context.Message.ClientId);

    public Task Consume(ConsumeContext<ClientDeleted> context) => Drop(context.Message.ClientId);

    private Task Drop(string clientId)
    {
        clients.Cache.Invalidate(clientId);
        return Task.CompletedTask;
    }
}
