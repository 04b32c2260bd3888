using System.Text.Json.Serialization;

namespace OAuthAspire.Protocol.Discovery;

/// <summary>
/// The authorization server metadata document (RFC 8414), also served as the OpenID Connect
/// discovery document. Members the server does not support yet are left out, not faked.
/// </summary>
public sealed record ServerMetadata
{
    [JsonPropertyName("issuer")]
    public required string Issuer { get; init; }

    [JsonPropertyName("authorization_endpoint")]
    public string? AuthorizationEndpoint { get; init; }

    [JsonPropertyName("token_endpoint")]
    public string? TokenEndpoint { get; init; }

    /// <summary>RFC 9126 §5.</summary>
    [JsonPropertyName("pushed_authorization_request_endpoint")]
    public string? PushedAuthorizationRequestEndpoint { get; init; }

    /// <summary>RFC 9126 §5: every client must push its authorization requests (one client may be asked to alone).</summary>
    [JsonPropertyName("require_pushed_authorization_requests")]
    public bool? RequirePushedAuthorizationRequests { get; init; }

    /// <summary>RFC 8628 §4.</summary>
    [JsonPropertyName("device_authorization_endpoint")]
    public string? DeviceAuthorizationEndpoint { get; init; }

    [JsonPropertyName("jwks_uri")]
    public string? JwksUri { get; init; }

    [JsonPropertyName("userinfo_endpoint")]
    public string? UserinfoEndpoint { get; init; }

    [JsonPropertyName("end_session_endpoint")]
    public string? EndSessionEndpoint { get; init; }

    [JsonPropertyName("revocation_endpoint")]
    public string? RevocationEndpoint { get; init; }

    [JsonPropertyName("introspection_endpoint")]
    public string? IntrospectionEndpoint { get; init; }

    /// <summary>RFC 8414 §2, RFC 7591 §3: only when self-registration is on.</summary>
    [JsonPropertyName("registration_endpoint")]
    public string? RegistrationEndpoint { get; init; }

    /// <summary>Client ID Metadata Documents: a client_id that is an https URL names its own metadata (only when an administrator turns them on).</summary>
    [JsonPropertyName("client_id_metadata_document_supported")]
    public bool? ClientIdMetadataDocumentSupported { get; init; }

    [JsonPropertyName("scopes_supported")]
    public required IReadOnlyList<string> ScopesSupported { get; init; }

    [JsonPropertyName("response_types_supported")]
    public required IReadOnlyList<string> ResponseTypesSupported { get; init; }

    [JsonPropertyName("response_modes_supported")]
    public IReadOnlyList<string>? ResponseModesSupported { get; init; }

    [JsonPropertyName("grant_types_supported")]
    public IReadOnlyList<string>? GrantTypesSupported { get; init; }

    [JsonPropertyName("token_endpoint_auth_methods_supported")]
    public IReadOnlyList<string>? TokenEndpointAuthMethodsSupported { get; init; }

    [JsonPropertyName("token_endpoint_auth_signing_alg_values_supported")]
    public IReadOnlyList<string>? TokenEndpointAuthSigningAlgValuesSupported { get; init; }

    [JsonPropertyName("revocation_endpoint_auth_methods_supported")]
    public IReadOnlyList<string>? RevocationEndpointAuthMethodsSupported { get; init; }

    [JsonPropertyName("introspection_endpoint_auth_methods_supported")]
    public IReadOnlyList<string>? IntrospectionEndpointAuthMethodsSupported { get; init; }

    [JsonPropertyName("code_challenge_methods_supported")]
    public IReadOnlyList<string>? CodeChallengeMethodsSupported { get; init; }

    /// <summary>The algorithms accepted in DPoP proofs (RFC 9449 §5.1).</summary>
    [JsonPropertyName("dpop_signing_alg_values_supported")]
    public IReadOnlyList<string>? DpopSigningAlgValuesSupported { get; init; }

    [JsonPropertyName("authorization_response_iss_parameter_supported")]
    public bool? AuthorizationResponseIssParameterSupported { get; init; }

    [JsonPropertyName("subject_types_supported")]
    public IReadOnlyList<string>? SubjectTypesSupported { get; init; }

    [JsonPropertyName("id_token_signing_alg_values_supported")]
    public IReadOnlyList<string>? IdTokenSigningAlgValuesSupported { get; init; }

    [JsonPropertyName("claims_supported")]
    public IReadOnlyList<string>? ClaimsSupported { get; init; }

    [JsonPropertyName("claims_parameter_supported")]
    public bool? ClaimsParameterSupported { get; init; }

    [JsonPropertyName("request_parameter_supported")]
    public bool? RequestParameterSupported { get; init; }

    /// <summary>RFC 9101 §10.5 / OpenID Connect Discovery.</summary>
    [JsonPropertyName("request_object_signing_alg_values_supported")]
    public IReadOnlyList<string>? RequestObjectSigningAlgValuesSupported { get; init; }

    /// <summary>RFC 9101 §10.5: every authorization request must be a signed request object (per client here, never for all).</summary>
    [JsonPropertyName("require_signed_request_object")]
    public bool? RequireSignedRequestObject { get; init; }

    [JsonPropertyName("request_uri_parameter_supported")]
    public bool? RequestUriParameterSupported { get; init; }

    [JsonPropertyName("frontchannel_logout_supported")]
    public bool? FrontchannelLogoutSupported { get; init; }

    /// <summary>Access tokens may be bound to the client's certificate (RFC 8705 §3.3).</summary>
    [JsonPropertyName("tls_client_certificate_bound_access_tokens")]
    public bool? TlsClientCertificateBoundAccessTokens { get; init; }

    [JsonPropertyName("mtls_endpoint_aliases")]
    public MtlsEndpointAliases? MtlsEndpointAliases { get; init; }

    [JsonPropertyName("service_documentation")]
    public string? ServiceDocumentation { get; init; }
}
