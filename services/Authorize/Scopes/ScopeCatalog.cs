using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using OAuthAspire.Protocol.Scopes;
using OAuthAspire.ServiceDefaults.Caching;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.Authorize.Scopes;

/// <summary>Scope decisions and consent texts from scope-policy.</summary>
public sealed class ScopeCatalog
{
    private readonly IServiceProvider _services;
    private readonly CachedLookup<string, IReadOnlyDictionary<string, string>> _descriptions;

    public ScopeCatalog(IServiceProvider services)
    {
        _services = services;
        _descriptions = new(async (_, ct) =>
        {
            var reply = await Client.ListScopesAsync(new ListScopesRequest(), cancellationToken: ct);
            return reply.Scopes.ToDictionary(s => s.Name, s => s.Description, StringComparer.Ordinal);
        });
    }

    /// <summary>A scope created, changed or deleted changes the consent texts: drop them.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ScopeCreated>.All((ScopeCatalog c) => c._descriptions),
        InvalidateOn<ScopeUpdated>.All((ScopeCatalog c) => c._descriptions),
        InvalidateOn<ScopeDeleted>.All((ScopeCatalog c) => c._descriptions),
    ];

    private ScopePolicyClient Client => _services.GetRequiredService<ScopePolicyClient>();

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
    public ValueTask<IReadOnlyDictionary<string, string>> DescriptionsAsync(CancellationToken cancellationToken) => _descriptions.GetAsync("all", cancellationToken);
}
