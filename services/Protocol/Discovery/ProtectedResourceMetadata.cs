using System.Text.Json.Serialization;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>An API's protected resource metadata (RFC 9728 §2), as the edge serves it.</summary>
public sealed record ProtectedResourceDocument
{
    [JsonPropertyName("resource")]
    public required string Resource { get; init; }

    [JsonPropertyName("resource_name")]
    public required string ResourceName { get; init; }

    [JsonPropertyName("authorization_servers")]
    public required string[] AuthorizationServers { get; init; }

    [JsonPropertyName("scopes_supported")]
    public required string[] ScopesSupported { get; init; }

    [JsonPropertyName("bearer_methods_supported")]
    public string[] BearerMethodsSupported { get; init; } = ["header"];

    [JsonPropertyName("dpop_signing_alg_values_supported")]
    public required string[] DpopSigningAlgValuesSupported { get; init; }

    [JsonPropertyName("dpop_bound_access_tokens_required")]
    public bool DpopBoundAccessTokensRequired { get; init; }

    [JsonPropertyName("tls_client_certificate_bound_access_tokens")]
    public bool TlsClientCertificateBoundAccessTokens { get; init; }
}

/// <summary>
/// RFC 9728: where an API's metadata is (the well-known segment between the resource's host and its
/// path, §3.1) and what it says. Served only for resources on the issuer's own origin, the edge's.
/// </summary>
public static class ProtectedResourceMetadata
{
    public const string WellKnown = "/.well-known/oauth-protected-resource";

    /// <summary>The metadata URL of <paramref name="resource"/>; null when the resource is not on <paramref name="origin"/> or has a query.</summary>
    /// <param name="origin">The issuer's scheme and authority, e.g. <c>https://id.example.com</c>.</param>
    public static string? UrlOf(string resource, string origin)
    {
        if (!resource.StartsWith(origin, StringComparison.Ordinal) || (resource.Length > origin.Length && resource[origin.Length] != '/')
            || resource.Contains('?'))
        {
            return null;
        }

        var path = resource[origin.Length..];
        return origin + WellKnown + (path == "/" ? "" : path);
    }

    /// <summary>The origin (scheme and authority) of an issuer.</summary>
    public static string OriginOf(string issuer) => new Uri(issuer).GetLeftPart(UriPartial.Authority);

    /// <summary>The policy whose metadata lives at <paramref name="path"/> (under <see cref="WellKnown"/>) on <paramref name="origin"/>, or null.</summary>
    public static ApiPolicy? Find(IEnumerable<ApiPolicy> policies, string origin, string path) =>
        policies.FirstOrDefault(p => p.Resource is { } resource && UrlOf(resource, origin) == origin + path);

    /// <param name="dpopAlgorithms">The DPoP proof algorithms the edge accepts.</param>
    /// <param name="mtls">Whether the edge checks certificate-bound tokens (it always does; false only without a mutual-TLS listener).</param>
    public static ProtectedResourceDocument Describe(ApiPolicy policy, string issuer, IEnumerable<string> dpopAlgorithms, bool mtls) => new()
    {
        Resource = policy.Resource!,
        ResourceName = policy.Name,
        AuthorizationServers = [issuer],
        ScopesSupported = [.. policy.Scopes.Order(StringComparer.Ordinal)],
        DpopSigningAlgValuesSupported = [.. dpopAlgorithms],
        TlsClientCertificateBoundAccessTokens = mtls,
    };
}
