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

    [JsonPropertyName("pushed_authorization_request_endpoint")]
    public string? PushedAuthorizationRequestEndpoint { get; init; }

    /// <summary>RFC 8628 §4: device clients authenticating with their certificate ask for codes here.</summary>
    [JsonPropertyName("device_authorization_endpoint")]
    public string? DeviceAuthorizationEndpoint { get; init; }

    [JsonPropertyName("revocation_endpoint")]
    public string? RevocationEndpoint { get; init; }

    [JsonPropertyName("introspection_endpoint")]
    public string? IntrospectionEndpoint { get; init; }

    [JsonPropertyName("userinfo_endpoint")]
    public string? UserinfoEndpoint { get; init; }

    /// <summary>The configuration key naming the mutual-TLS origin (the edge's listener that asks for client certificates).</summary>
    public const string BaseUrlKey = "Mtls:BaseUrl";

    /// <summary>The token, pushed authorization, device authorization, revocation, introspection and userinfo paths on the mutual-TLS origin.</summary>
    /// <param name="origin">An absolute https URL whose scheme, host and port are used; none: null.</param>
    /// <exception cref="InvalidOperationException">The origin is not an absolute https URL.</exception>
    public static MtlsEndpointAliases? ForOrigin(string? origin)
    {
        if (string.IsNullOrEmpty(origin))
        {
            return null;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"{BaseUrlKey} must be an absolute https URL; mutual TLS runs only over TLS.");
        }

        var root = uri.GetLeftPart(UriPartial.Authority);
        return new MtlsEndpointAliases
        {
            TokenEndpoint = root + MetadataBuilder.Paths.Token,
            PushedAuthorizationRequestEndpoint = root + MetadataBuilder.Paths.PushedAuthorization,
            DeviceAuthorizationEndpoint = root + MetadataBuilder.Paths.DeviceAuthorization,
            RevocationEndpoint = root + MetadataBuilder.Paths.Revocation,
            IntrospectionEndpoint = root + MetadataBuilder.Paths.Introspection,
            UserinfoEndpoint = root + MetadataBuilder.Paths.UserInfo,
            Origin = root,
        };
    }

    /// <summary>scheme://host[:port] of the mutual-TLS listener.</summary>
    [JsonIgnore]
    public string? Origin { get; init; }
}
