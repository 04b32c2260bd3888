using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>
/// The <c>mtls_endpoint_aliases</c> metadata member (RFC 8705 §5): where a client that authenticates
/// with, or binds tokens to, its certificate sends its requests instead, when the server asks for
/// client certificates on another host or port only. An endpoint left null has no alias.
/// </summary>
public sealed record MtlsEndpointAliases
{
    [JsonPropertyName("token_endpoint")]
    public string? TokenEndpoint { get; init; }

    [JsonPropertyName("revocation_endpoint")]
    public string? RevocationEndpoint { get; init; }

    [JsonPropertyName("introspection_endpoint")]
    public string? IntrospectionEndpoint { get; init; }

    [JsonPropertyName("userinfo_endpoint")]
    public string? UserinfoEndpoint { get; init; }
}
