using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Resources;

namespace OAuthAspire.ServiceDefaults.Caching;

/// <summary>Reads every API policy from scope-policy (each service compiles its own gRPC client, so each passes the call in).</summary>
public delegate Task<IEnumerable<ApiPolicy>> ApiPolicySource(CancellationToken cancellationToken);

/// <summary>
/// The APIs tokens can be issued for (RFC 8707 resource identifiers, from scope-policy's API
/// policies): loaded once, kept for a bounded time, dropped by any policy change. The token service
/// narrows scopes by it; the authorize and token services check requested resources against it.
/// </summary>
public sealed class ApiResourceCatalog(ApiPolicySource source)
{
    private readonly CachedLookup<string, ApiResources> _resources = new(async (_, ct) => new ApiResources(await source(ct)));

    /// <summary>A policy created, changed or deleted changes the APIs: drop them.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ApiPolicyCreated>.All((ApiResourceCatalog c) => c._resources),
        InvalidateOn<ApiPolicyUpdated>.All((ApiResourceCatalog c) => c._resources),
        InvalidateOn<ApiPolicyDeleted>.All((ApiResourceCatalog c) => c._resources),
    ];

    public ValueTask<ApiResources> GetAsync(CancellationToken cancellationToken) => _resources.GetAsync("all", cancellationToken);
}
