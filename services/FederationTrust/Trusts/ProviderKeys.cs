using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>A provider's metadata as far as we use it.</summary>
public sealed record ProviderMetadata(string Issuer, string JwksUri);

/// <summary>
/// A trusted provider's signing keys: its metadata names the JWKS URL; both are fetched through
/// <see cref="RemoteKeySets"/> (HTTPS, timeouts, size limits, cached keys kept through outages)
/// and cached for an hour, the keys refetched once on an unknown kid.
/// </summary>
public sealed class ProviderKeys(RemoteKeySets remote, TimeProvider time, ILogger<ProviderKeys> logger)
{
    private static readonly TimeSpan Lifespan = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (ProviderMetadata Metadata, DateTimeOffset FetchedAt)> _metadata = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedAt = new(StringComparer.Ordinal);

    /// <summary>Fetches and checks a metadata document (on save: its issuer must be the trust's, exactly).</summary>
    public async Task<ProviderMetadata> FetchMetadataAsync(string metadataUrl, string expectedIssuer, CancellationToken cancellationToken)
    {
        var json = await remote.GetJsonAsync(metadataUrl, cancellationToken);
        var issuer = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var jwksUri = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("jwks_uri", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
        if (issuer != expectedIssuer)
        {
            throw new RemoteDocumentException($"the metadata names the issuer '{issuer}', not '{expectedIssuer}'");
        }

        if ((jwksUri is null ? "is missing" : remote.UrlProblem(jwksUri)) is { } problem)
        {
            throw new RemoteDocumentException($"the metadata's jwks_uri {problem}");
        }

        var metadata = new ProviderMetadata(issuer, jwksUri!);
        _metadata[metadataUrl] = (metadata, time.GetUtcNow());
        return metadata;
    }

    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(TrustRecord trust, bool refetch, CancellationToken cancellationToken)
    {
        var jwksUri = await JwksUriAsync(trust, cancellationToken);
        return jwksUri is null ? [] : await remote.KeysAsync(jwksUri, Lifespan, refetch, cancellationToken);
    }

    /// <summary>The JWKS URL from the (cached) metadata; the last known one while the provider is unreachable.</summary>
    private async Task<string?> JwksUriAsync(TrustRecord trust, CancellationToken cancellationToken)
    {
        var known = _metadata.TryGetValue(trust.MetadataUrl, out var cached);
        if (known && time.GetUtcNow() - cached.FetchedAt < Lifespan)
        {
            return cached.Metadata.JwksUri;
        }

        if (_failedAt.TryGetValue(trust.MetadataUrl, out var failedAt) && time.GetUtcNow() - failedAt < RetryAfterFailure)
        {
            // Not on every token while the provider is away.
            return known ? cached.Metadata.JwksUri : null;
        }

        try
        {
            var jwksUri = (await FetchMetadataAsync(trust.MetadataUrl, trust.Issuer, cancellationToken)).JwksUri;
            _failedAt.TryRemove(trust.MetadataUrl, out _);
            return jwksUri;
        }
        catch (RemoteDocumentException e)
        {
            _failedAt[trust.MetadataUrl] = time.GetUtcNow();
            logger.LogWarning("The metadata of trust {Trust} could not be refreshed; {Fallback}: {Reason}", trust.Name,
                known ? "the last known keys stay in use" : "its tokens cannot be checked", e.Message);
            return known ? cached.Metadata.JwksUri : null;
        }
    }
}
