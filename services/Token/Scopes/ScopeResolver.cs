using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.Token.Clients;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.Token.Scopes;

/// <summary>
/// Asks scope-policy which scopes a request receives. Decisions are cached per client version
/// and requested set, and the whole cache is dropped on any scope change.
/// </summary>
public sealed class ScopeResolver(ScopePolicyClient scopePolicy)
{
    private readonly ExpiringCache<(string ClientId, long Version, string Requested), ScopeDecision> _cache = new(TimeSpan.FromSeconds(60));

    public ExpiringCache<(string ClientId, long Version, string Requested), ScopeDecision> Cache => _cache;

    public ValueTask<ScopeDecision> ResolveAsync(ClientInfo client, IReadOnlyList<string> requested, CancellationToken cancellationToken) =>
        _cache.GetOrAddAsync((client.ClientId, client.Version, ScopeSet.Format(requested)), async (_, ct) =>
        {
            var request = new ResolveGrantedScopesRequest { ClientId = client.ClientId };
            request.Requested.AddRange(requested);
            request.Allowed.AddRange(client.Scopes);
            request.Defaults.AddRange(client.DefaultScopes);
            var reply = await scopePolicy.ResolveGrantedScopesAsync(request, cancellationToken: ct);
            return new ScopeDecision(reply.Ok, reply.Granted, reply.Refused);
        }, cancellationToken);
}

/// <summary>A scope created, changed or deleted may change any decision: drop them all.</summary>
public sealed class ScopeChangedConsumer(ScopeResolver resolver) :
    MassTransit.IConsumer<ScopeCreated>, MassTransit.IConsumer<ScopeUpdated>, MassTransit.IConsumer<ScopeDeleted>
{
    public Task Consume(MassTransit.ConsumeContext<ScopeCreated> context) => Drop();

    public Task Consume(MassTransit.ConsumeContext<ScopeUpdated> context) => Drop();

    public Task Consume(MassTransit.ConsumeContext<ScopeDeleted> context) => Drop();

    private Task Drop()
    {
        resolver.Cache.Clear();
        return Task.CompletedTask;
    }
}
