using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// Every trust, held in memory (a handful of rows) for a bounded time and dropped by any
/// trust change, in this replica at once and in the others through the change events.
/// </summary>
public sealed class TrustCatalog(TrustStore store)
{
    private readonly CachedLookup<int, IReadOnlyList<TrustRecord>> _all = new(async (_, ct) => await store.ListAsync(ct));

    /// <summary>Any trust change may move any issuer: drop them all.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((TrustCatalog c) => c._all),
        InvalidateOn<TrustUpdated>.All((TrustCatalog c) => c._all),
        InvalidateOn<TrustDeleted>.All((TrustCatalog c) => c._all),
    ];

    public async ValueTask<IReadOnlyList<TrustRecord>> AllAsync(CancellationToken cancellationToken) => await _all.GetAsync(0, cancellationToken);

    public async ValueTask<TrustRecord?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        (await _all.GetAsync(0, cancellationToken)).FirstOrDefault(t => t.Name == name);

    public async ValueTask<TrustRecord?> FindByIssuerAsync(string issuer, CancellationToken cancellationToken) =>
        (await _all.GetAsync(0, cancellationToken)).FirstOrDefault(t => t.Issuer == issuer);

    /// <summary>The trust an opaque token belongs to: of those taking opaque tokens, the one whose prefix is the longest that starts it.</summary>
    public async ValueTask<TrustRecord?> FindOpaqueAsync(string token, CancellationToken cancellationToken) =>
        OpaqueTokens.Route((await _all.GetAsync(0, cancellationToken)).Where(t => t.OpaquePrefix is not null), t => t.OpaquePrefix!, token);

    public void Invalidate() => _all.Clear();
}
