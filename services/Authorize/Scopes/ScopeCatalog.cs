using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults.Caching;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.Authorize.Scopes;

/// <summary>Scope decisions and consent texts from scope-policy.</summary>
public sealed class ScopeCatalog(IServiceProvider services)
{
    private readonly ExpiringCache<string, IReadOnlyDictionary<string, string>> _descriptions = new(TimeSpan.FromSeconds(60));

    private ScopePolicyClient Client => services.GetRequiredService<ScopePolicyClient>();

    public async Task<ScopeDecision> ResolveAsync(string clientId, IReadOnlyList<string> requested, IEnumerable<string> allowed, IEnumerable<string> defaults,
        CancellationToken cancellationToken)
    {
        var request = new ResolveGrantedScopesRequest { ClientId = clientId };
        request.Requested.AddRange(requested);
        request.Allowed.AddRange(allowed);
        request.Defaults.AddRange(defaults);
        var reply = await Client.ResolveGrantedScopesAsync(request, cancellationToken: cancellationToken);
        return new ScopeDecision(reply.Ok, reply.Granted, reply.Refused);
    }

    /// <summary>Scope name → the text shown on the consent page.</summary>
    public ValueTask<IReadOnlyDictionary<string, string>> DescriptionsAsync(CancellationToken cancellationToken) =>
        _descriptions.GetOrAddAsync("all", async (_, ct) =>
        {
            var reply = await Client.ListScopesAsync(new ListScopesRequest(), cancellationToken: ct);
            return (IReadOnlyDictionary<string, string>)reply.Scopes.ToDictionary(s => s.Name, s => s.Description, StringComparer.Ordinal);
        }, cancellationToken);

    public void Invalidate() => _descriptions.Clear();
}

/// <summary>A scope created, changed or deleted changes the consent texts: drop them.</summary>
public sealed class ScopeChangedConsumer(ScopeCatalog catalog) :
    MassTransit.IConsumer<ScopeCreated>, MassTransit.IConsumer<ScopeUpdated>, MassTransit.IConsumer<ScopeDeleted>
{
    public Task Consume(MassTransit.ConsumeContext<ScopeCreated> context) => Drop();

    public Task Consume(MassTransit.ConsumeContext<ScopeUpdated> context) => Drop();

    public Task Consume(MassTransit.ConsumeContext<ScopeDeleted> context) => Drop();

    private Task Drop()
    {
        catalog.Invalidate();
        return Task.CompletedTask;
    }
}
