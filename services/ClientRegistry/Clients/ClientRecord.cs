using System.Text.Json;
using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>A row of the application registry.</summary>
public sealed record ClientRecord
{
    public required string ClientId { get; init; }
    public required string Name { get; init; }
    public byte[]? SecretHash { get; init; }
    public bool Public { get; init; }
    public bool PkceRequired { get; init; }
    public string[] RedirectUris { get; init; } = [];
    public string[] PostLogoutRedirectUris { get; init; } = [];
    public string[] GrantTypes { get; init; } = [];
    public string[] Scopes { get; init; } = [];
    public string[] DefaultScopes { get; init; } = [];
    public int AccessTokenLifespan { get; init; } = 1800;
    public int RefreshTokenLifespan { get; init; } = 8_640_000;
    public string? ApplicationUserSysId { get; init; }
    public string? ApplicationUserName { get; init; }
    public bool CanIntrospect { get; init; }
    public string? LogoUrl { get; init; }
    public bool Active { get; init; } = true;
    public string[] Trusts { get; init; } = [];
    public string[] AllowedOrigins { get; init; } = [];
    public bool DpopBoundAccessTokens { get; init; }
    public bool DpopNonceRequired { get; init; }
    public string? TlsClientAuthSubjectDn { get; init; }
    public string? TlsClientAuthSanDns { get; init; }
    public string? TlsClientAuthSanUri { get; init; }
    public string? TlsClientAuthSanIp { get; init; }
    public string? TlsClientAuthSanEmail { get; init; }

    /// <summary>The self-signed certificates registered for <c>self_signed_tls_client_auth</c>, base64 DER.</summary>
    public string[] TlsClientCertificates { get; init; } = [];

    public bool TlsClientCertificateBoundAccessTokens { get; init; }
    public bool RequirePushedAuthorizationRequests { get; init; }
    public bool RequireSignedRequestObject { get; init; }

    /// <summary>RFC 8707: the resource identifiers of the APIs it may ask tokens for; empty allows every API.</summary>
    public string[] AllowedResources { get; init; } = [];

    /// <summary>What its access tokens are signed with; null: the server's default.</summary>
    public string? AccessTokenSigningAlg { get; init; }

    /// <summary>What its ID tokens are signed with; null: RS256.</summary>
    public string? IdTokenSignedResponseAlg { get; init; }

    /// <summary>The security profile it is held to: null, or <c>fapi2</c>.</summary>
    public string? Profile { get; init; }

    public long Version { get; init; } = 1;

    /// <summary>Who registered it: <c>admin</c> (the admin API, the bootstrap) or <c>registration</c> (itself, RFC 7591).</summary>
    public string Origin { get; init; } = "admin";

    /// <summary>The verifier settings as stored (JSON, never with the shared key).</summary>
    public string? JwtVerifier { get; init; }

    public byte[]? SharedKeyEnc { get; init; }

    public VerifierSettings? Verifier => JwtVerifier is null ? null : JsonSerializer.Deserialize<VerifierSettings>(JwtVerifier, JsonSerializerOptions.Web);

    public ClientDto ToDto() => new(Name, ClientId, Public, PkceRequired, RedirectUris, PostLogoutRedirectUris, GrantTypes, Scopes,
        DefaultScopes, AccessTokenLifespan, RefreshTokenLifespan, ApplicationUserName, CanIntrospect, LogoUrl, Active)
    {
        JwtVerifier = Verifier,
        Origin = Origin,
        Trusts = Trusts,
        AllowedOrigins = AllowedOrigins,
        DpopBoundAccessTokens = DpopBoundAccessTokens,
        DpopNonceRequired = DpopNonceRequired,
        TlsClientAuthSubjectDn = TlsClientAuthSubjectDn,
        TlsClientAuthSanDns = TlsClientAuthSanDns,
        TlsClientAuthSanUri = TlsClientAuthSanUri,
        TlsClientAuthSanIp = TlsClientAuthSanIp,
        TlsClientAuthSanEmail = TlsClientAuthSanEmail,
        TlsClientCertificates = TlsClientCertificates,
        TlsClientCertificateBoundAccessTokens = TlsClientCertificateBoundAccessTokens,
        RequirePushedAuthorizationRequests = RequirePushedAuthorizationRequests,
        RequireSignedRequestObject = RequireSignedRequestObject,
        AllowedResources = AllowedResources,
        AccessTokenSigningAlg = AccessTokenSigningAlg,
        IdTokenSignedResponseAlg = IdTokenSignedResponseAlg,
        Profile = Profile,
    };
}
