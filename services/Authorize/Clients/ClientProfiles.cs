using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Authorize.Clients;

/// <summary>A registered client as the sign-in pages need it.</summary>
public sealed record ClientView(Client Client)
{
    public ClientProfile Profile { get; } = new(Client.ClientId, Client.Active, Client.Public, Client.PkceRequired, Client.RedirectUris,
        Client.GrantTypes.ToHashSet(StringComparer.Ordinal));

    public string ClientId => Client.ClientId;

    public string Name => Client.Name;

    public string? LogoUrl => Client.LogoUrl.Length == 0 ? null : Client.LogoUrl;
}

/// <summary>Clients from the registry, cached briefly and dropped within a second of any change.</summary>
public sealed class ClientProfiles(IServiceProvider services)
{
    private readonly ExpiringCache<string, ClientView?> _cache = new(TimeSpan.FromSeconds(60));

    public ExpiringCache<string, ClientView?> Cache => _cache;

    public ValueTask<ClientView?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        _cache.GetOrAddAsync(clientId, async (id, ct) =>
        {
            var reply = await services.GetRequiredService<ClientRegistryClient>().GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
            return reply.Found ? new ClientView(reply.Client) : null;
        }, cancellationToken);
}

public sealed class ClientChangedConsumer(ClientProfiles clients) : IConsumer<ClientCreated>, IConsumer<ClientUpdated>, IConsumer<ClientDeleted>
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
