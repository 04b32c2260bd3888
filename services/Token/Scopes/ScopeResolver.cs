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
    // The client's version is in the key: a client changed asks again without waiting for an event.
    private readonly CachedLookup<(string ClientId, long Version, string Requested), (RegisteredClient Client, IReadOnlyList<string> Requested), ScopeDecision> _cache =
        new(async (_, asked, ct) =>
        {
            var request = new ResolveGrantedScopesRequest { ClientId = asked.Client.ClientId };
            request.Requested.AddRange(asked.Requested);
            request.Allowed.AddRange(asked.Client.Scopes);
            request.Defaults.AddRange(asked.Client.DefaultScopes);
            var reply = await scopePolicy.ResolveGrantedScopesAsync(request, cancellationToken: ct);
            return new ScopeDecision(reply.Ok, reply.Granted, reply.Refused);
        });

    /// <summary>A scope created, changed or deleted may change any decision: drop them all.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ScopeCreated>.All((ScopeResolver r) => r._cache),
        InvalidateOn<ScopeUpdated>.All((ScopeResolver r) => r._cache),
        InvalidateOn<ScopeDeleted>.All((ScopeResolver r) => r._cache),
    ];

    public ValueTask<ScopeDecision> ResolveAsync(RegisteredClient client, IReadOnlyList<string> requested, CancellationToken cancellationToken) =>
        _cache.GetAsync((client.ClientId, client.Version, ScopeSet.Format(requested)), (client, requested), cancellationToken);
}
