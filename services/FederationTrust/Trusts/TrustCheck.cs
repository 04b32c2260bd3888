using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// What a check of a trust's provider found now: whether its metadata and key set could be read and
/// fit the trust, the key set's address and the ids of its keys. Problems in generic words only (as on save).
/// </summary>
public sealed record TrustCheckDto(bool Ok, string? Problem, string? JwksUri, string[] KeyIds, DateTimeOffset CheckedAt);

/// <summary>
/// <c>POST /api/admin/trusts/{name}/check</c>: fetches the provider's metadata and key set now (through
/// the same guarded fetches tokens are checked with) and refreshes what is cached, so an administrator
/// can see a provider's rotation or outage without waiting for a token. A key set is still fetched at most once per
/// <c>RemoteKeys:MinRefetch</c> (10 s), whoever asks. The detail of a failure goes to the log only.
/// </summary>
public static class TrustCheck
{
    public const string KeySetUnreadable = "The provider's key set could not be fetched, or holds no usable key.";

    public static RouteGroupBuilder MapTrustCheck(this RouteGroupBuilder trusts)
    {
        trusts.MapPost("/{name}/check", CheckAsync)
            .WithSummary("Fetch a trust's provider metadata and keys now, and say what was found")
            .Produces<TrustCheckDto>().ProducesProblem(StatusCodes.Status404NotFound);
        return trusts;
    }

    private static async Task<IResult> CheckAsync(string name, TrustStore store, ProviderKeys keys, RemoteKeySets remote, TimeProvider time,
        ILogger<ProviderKeys> logger, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(name, cancellationToken) is not { } trust)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", detail: $"No trust '{name}'.");
        }

        var now = time.GetUtcNow();
        ProviderMetadata metadata;
        try
        {
            metadata = await keys.FetchMetadataAsync(trust.MetadataUrl, trust.Issuer, cancellationToken);
        }
        catch (Exception e) when (e is RemoteDocumentException or ProviderMetadataException)
        {
            logger.LogWarning("Checking trust {Trust}: its metadata was refused: {Reason}", trust.Name, e.Message);
            return TypedResults.Ok(new TrustCheckDto(false,
                e is ProviderMetadataException ? TrustAdminEndpoints.MetadataMismatch : TrustAdminEndpoints.MetadataUnreadable, null, [], now));
        }

        var found = await keys.KeysAsync(trust, refetch: true, cancellationToken);
        var problem = remote.FetchProblem(metadata.JwksUri) ?? (found.Count == 0 ? "no usable key" : null);
        if (problem is not null)
        {
            logger.LogWarning("Checking trust {Trust}: its key set was refused: {Reason}", trust.Name, problem);
            return TypedResults.Ok(new TrustCheckDto(false, KeySetUnreadable, metadata.JwksUri, [], now));
        }

        return TypedResults.Ok(new TrustCheckDto(true, null, metadata.JwksUri,
            found.Select(k => k.KeyId).Where(k => !string.IsNullOrEmpty(k)).Order(StringComparer.Ordinal).ToArray(), now));
    }
}
