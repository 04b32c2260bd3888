using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// Every trust by issuer, held in memory (a handful of rows) for a bounded time and dropped by any
/// trust change, in this replica at once and in the others through the change events.
/// </summary>
public sealed class TrustCatalog(TrustStore store)
{
    private readonly CachedLookup<int, IReadOnlyDictionary<string, TrustRecord>> _byIssuer = new(async (_, ct) =>
        (await store.ListAsync(ct)).ToDictionary(t => t.Issuer, StringComparer.Ordinal));

    /// <summary>Any trust change may move any issuer: drop them all.</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<TrustCreated>.All((TrustCatalog c) => c._byIssuer),
        InvalidateOn<TrustUpdated>.All((TrustCatalog c) => c._byIssuer),
        InvalidateOn<TrustDeleted>.All((TrustCatalog c) => c._byIssuer),
    ];

    public async ValueTask<TrustRecord?> FindByIssuerAsync(string issuer, CancellationToken cancellationToken)
    {
        var all = await _byIssuer.GetAsync(0, cancellationToken);
        return all.GetValueOrDefault(issuer);
    }

    public void Invalidate() => _byIssuer.Clear();
}
