using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>A provider's metadata as far as we use it; an optional endpoint that is not a fetchable URL is left out (null).</summary>
public sealed record ProviderMetadata(string Issuer, string JwksUri)
{
    public string? IntrospectionEndpoint { get; init; }
    public string? AuthorizationEndpoint { get; init; }
    public string? TokenEndpoint { get; init; }
    /// <summary>RFC 9207: the provider promises <c>iss</c> in its authorization responses.</summary>
    public bool IssuerParameterSupported { get; init; }
}

/// <summary>The metadata was read but does not fit the trust: another issuer, or no usable jwks_uri.</summary>
public sealed class ProviderMetadataException(string message) : Exception(message);

/// <summary>
/// A trusted provider's signing keys: its metadata names the JWKS URL; both are fetched through
/// <see cref="RemoteKeySets"/> (HTTPS, allowed addresses only, timeouts, size limits, cached keys kept through outages)
/// and cached for an hour, the keys refetched once on an unknown kid.
/// </summary>
public sealed class ProviderKeys(RemoteKeySets remote, TimeProvider time, ILogger<ProviderKeys> logger)
{
    private static readonly TimeSpan Lifespan = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (ProviderMetadata Metadata, DateTimeOffset FetchedAt)> _metadata = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string Problem)> _failed = new(StringComparer.Ordinal);

    /// <summary>
    /// Fetches and checks a metadata document (on save: its issuer must be the trust's, exactly).
    /// Throws <see cref="RemoteDocumentException"/> when it cannot be fetched or read,
    /// <see cref="ProviderMetadataException"/> when it does not fit; both messages are for the log and the audit trail.
    /// </summary>
    public async Task<ProviderMetadata> FetchMetadataAsync(string metadataUrl, string expectedIssuer, CancellationToken cancellationToken)
    {
        var json = await remote.GetJsonAsync(metadataUrl, cancellationToken);
        var issuer = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var jwksUri = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("jwks_uri", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
        if (issuer != expectedIssuer)
        {
            throw new ProviderMetadataException($"the metadata names the issuer '{Truncate(issuer)}', not '{expectedIssuer}'");
        }

        if ((jwksUri is null ? "is missing" : remote.UrlProblem(jwksUri)) is { } problem)
        {
            throw new ProviderMetadataException($"the metadata's jwks_uri {problem}");
        }

        string? Endpoint(string name) =>
            json.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String && remote.UrlProblem(e.GetString()) is null ? e.GetString() : null;
        var metadata = new ProviderMetadata(issuer, jwksUri!)
        {
            IntrospectionEndpoint = Endpoint("introspection_endpoint"),
            AuthorizationEndpoint = Endpoint("authorization_endpoint"),
            TokenEndpoint = Endpoint("token_endpoint"),
            IssuerParameterSupported = json.TryGetProperty("authorization_response_iss_parameter_supported", out var promised) && promised.ValueKind == JsonValueKind.True,
        };
        _metadata[metadataUrl] = (metadata, time.GetUtcNow());
        return metadata;
    }

    public async Task<IReadOnlyList<SecurityKey>> KeysAsync(TrustRecord trust, bool refetch, CancellationToken cancellationToken)
    {
        var jwksUri = (await MetadataAsync(trust, cancellationToken))?.JwksUri;
        return jwksUri is null ? [] : await remote.KeysAsync(jwksUri, Lifespan, refetch, cancellationToken);
    }

    /// <summary>The (cached) metadata; the last known one while the provider is unreachable, null when none ever was.</summary>
    public async Task<ProviderMetadata?> MetadataAsync(TrustRecord trust, CancellationToken cancellationToken)
    {
        var known = _metadata.TryGetValue(trust.MetadataUrl, out var cached);
        if (known && time.GetUtcNow() - cached.FetchedAt < Lifespan)
        {
            return cached.Metadata;
        }

        if (_failed.TryGetValue(trust.MetadataUrl, out var failed) && time.GetUtcNow() - failed.At < RetryAfterFailure)
        {
            // Not on every token while the provider is away.
            return known ? cached.Metadata : null;
        }

        try
        {
            var metadata = await FetchMetadataAsync(trust.MetadataUrl, trust.Issuer, cancellationToken);
            _failed.TryRemove(trust.MetadataUrl, out _);
            return metadata;
        }
        catch (Exception e) when (e is RemoteDocumentException or ProviderMetadataException)
        {
            _failed[trust.MetadataUrl] = (time.GetUtcNow(), e.Message);
            logger.LogWarning("The metadata of trust {Trust} could not be refreshed; {Fallback}: {Reason}", trust.Name,
                known ? "the last known keys stay in use" : "its tokens cannot be checked", e.Message);
            return known ? cached.Metadata : null;
        }
    }

    /// <summary>
    /// Why the trust's keys could not be fetched the last time (its metadata, or the key set it
    /// names), if they could not; for the audit trail, never a caller.
    /// </summary>
    public string? FetchProblem(TrustRecord trust) =>
        _failed.TryGetValue(trust.MetadataUrl, out var failed) ? $"metadata: {failed.Problem}"
        : _metadata.TryGetValue(trust.MetadataUrl, out var cached) && remote.FetchProblem(cached.Metadata.JwksUri) is { } problem ? $"key set: {problem}"
        : null;

    // The provider's own value goes into logs and the audit trail cut short.
    private static string? Truncate(string? value) => value is { Length: > 256 } ? value[..256] : value;
}
