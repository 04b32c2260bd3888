using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Caching;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// Every trust by issuer, held in memory (a handful of rows) for a bounded time and dropped by any
/// trust change, in this replica at once and in the others through the change events.
/// </summary>
public sealed class TrustCatalog(TrustStore store)
{
    private readonly ExpiringCache<int, IReadOnlyDictionary<string, TrustRecord>> _byIssuer = new(TimeSpan.FromSeconds(60));

    public async ValueTask<TrustRecord?> FindByIssuerAsync(string issuer, CancellationToken cancellationToken)
    {
        var all = await _byIssuer.GetOrAddAsync(0, async (_, ct) =>
            (IReadOnlyDictionary<string, TrustRecord>)(await store.ListAsync(ct)).ToDictionary(t => t.Issuer, StringComparer.Ordinal), cancellationToken);
        return all.GetValueOrDefault(issuer);
    }

    public void Invalidate() => _byIssuer.Clear();
}

public sealed class TrustChangedConsumer(TrustCatalog catalog) : IConsumer<TrustCreated>, IConsumer<TrustUpdated>, IConsumer<TrustDeleted>
{
    public Task Consume(ConsumeContext<TrustCreated> context) => Drop();

    public Task Consume(ConsumeContext<TrustUpdated> context) => Drop();

    public Task Consume(ConsumeContext<TrustDeleted> context) => Drop();

    private Task Drop()
    {
        catalog.Invalidate();
        return Task.CompletedTask;
    }
}
