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
    // Every trust, and the same by issuer: a provider's JWT finds its trust with one dictionary read.
    private readonly CachedLookup<int, (IReadOnlyList<TrustRecord> All, IReadOnlyDictionary<string, TrustRecord> ByIssuer)> _all = new(async (_, ct) =>
    {
        var all = await store.ListAsync(ct);
        return (all, all.ToDictionary(t => t.Issuer, StringComparer.Ordinal));
    });

    /// <summary>Any trust change may move any issuer: drop them all.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((TrustCatalog c) => c._all),
        InvalidateOn<TrustUpdated>.All((TrustCatalog c) => c._all),
        InvalidateOn<TrustDeleted>.All((TrustCatalog c) => c._all),
    ];

    public async ValueTask<IReadOnlyList<TrustRecord>> AllAsync(CancellationToken cancellationToken) => (await _all.GetAsync(0, cancellationToken)).All;

    public async ValueTask<TrustRecord?> FindByNameAsync(string name, CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken)).FirstOrDefault(t => t.Name == name);

    public async ValueTask<TrustRecord?> FindByIssuerAsync(string issuer, CancellationToken cancellationToken) =>
        (await _all.GetAsync(0, cancellationToken)).ByIssuer.GetValueOrDefault(issuer);

    /// <summary>The trust an opaque token belongs to: of those taking opaque tokens, the one whose prefix is the longest that starts it.</summary>
    public async ValueTask<TrustRecord?> FindOpaqueAsync(string token, CancellationToken cancellationToken) =>
        OpaqueTokens.Route((await AllAsync(cancellationToken)).Where(t => t.OpaquePrefix is not null), t => t.OpaquePrefix!, token);

    public void Invalidate() => _all.Clear();
}
