using OAuthAspire.Protocol.Clients;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Authorization;
using OAuthAspire.Protocol.Mtls;

namespace OAuthAspire.Token.Clients;

/// <summary>A registered client as the token service caches it from the registry (see <see cref="RegisteredClients"/>).</summary>
public sealed class RegisteredClient(Client client)
{
    public string ClientId => client.ClientId;
    public string Name => client.Name;
    public bool Public => client.Public;
    public bool PkceRequired => client.PkceRequired;
    public bool Active => client.Active;
    public bool CanIntrospect => client.CanIntrospect;
    public IReadOnlySet<string> GrantTypes { get; } = client.GrantTypes.ToHashSet(StringComparer.Ordinal);
    public IReadOnlyList<string> Scopes => client.Scopes;
    public IReadOnlyList<string> DefaultScopes => client.DefaultScopes;
    public IReadOnlyList<string> RedirectUris => client.RedirectUris;
    public TimeSpan AccessTokenLifespan => TimeSpan.FromSeconds(client.AccessTokenLifespan);
    public TimeSpan RefreshTokenLifespan => TimeSpan.FromSeconds(client.RefreshTokenLifespan);
    public string? ApplicationUser => client.ApplicationUser.Length == 0 ? null : client.ApplicationUser;
    public long Version => client.Version;

    /// <summary>It registered itself (RFC 7591): its first token is recorded, since never-used ones expire.</summary>
    public bool SelfRegistered => client.Origin == "registration";
    /// <summary>Trusted providers whose tokens this client may exchange (by trust name).</summary>
    public IReadOnlyList<string> Trusts => client.Trusts;
    public bool DpopBoundAccessTokens => client.DpopBoundAccessTokens;
    public bool DpopNonceRequired => client.DpopNonceRequired;
    /// <summary>RFC 8705 §2.1.2: the subject value its CA-issued certificate must carry; null when it does not use <c>tls_client_auth</c>.</summary>
    public TlsClientAuthRule? TlsClientAuth { get; } = client.TlsClientAuthSubjectDn.Length + client.TlsClientAuthSanDns.Length + client.TlsClientAuthSanUri.Length
        + client.TlsClientAuthSanIp.Length + client.TlsClientAuthSanEmail.Length == 0
            ? null
            : new TlsClientAuthRule(Empty(client.TlsClientAuthSubjectDn), Empty(client.TlsClientAuthSanDns), Empty(client.TlsClientAuthSanUri),
                Empty(client.TlsClientAuthSanIp), Empty(client.TlsClientAuthSanEmail));

    /// <summary>RFC 8705 §2.2: the <c>x5t#S256</c> of each self-signed certificate it may authenticate with.</summary>
    public IReadOnlyList<string> TlsClientCertificateThumbprints => client.TlsClientCertificateThumbprints;

    /// <summary>
    /// Registered for <c>tls_client_auth</c> or <c>self_signed_tls_client_auth</c>: then its certificate is its
    /// only credential (RFC 7591 §2 names one method per client), whatever secret or keys it also holds.
    /// </summary>
    public bool AuthenticatesByCertificate => TlsClientAuth is not null || TlsClientCertificateThumbprints.Count > 0;

    /// <summary>RFC 8705 §3: its access tokens are bound to the certificate of the token request.</summary>
    public bool TlsClientCertificateBoundAccessTokens => client.TlsClientCertificateBoundAccessTokens;

    /// <summary>The authorization endpoint's view of this client (the pushed authorization endpoint checks requests by it).</summary>
    public ClientProfile Profile { get; } = new(client.ClientId, client.Active, client.Public, client.PkceRequired, client.RedirectUris,
        client.GrantTypes.ToHashSet(StringComparer.Ordinal)) { AllowedResources = client.AllowedResources };

    /// <summary>Held to the FAPI 2.0 Security Profile (<see cref="ClientProfiles"/>).</summary>
    public bool Fapi2 => client.Profile == ClientProfiles.Fapi2;

    /// <summary>What its access tokens are signed with; null: the server's default (<c>Keys:Algorithm</c>).</summary>
    public string? AccessTokenSigningAlg => Empty(client.AccessTokenSigningAlg);

    /// <summary>What its ID tokens are signed with (OpenID Connect Dynamic Registration §2); null: RS256.</summary>
    public string? IdTokenSignedResponseAlg => Empty(client.IdTokenSignedResponseAlg);

    /// <summary>RFC 8707: the APIs it may ask tokens for; empty allows every API.</summary>
    public IReadOnlyList<string> AllowedResources => client.AllowedResources;

    /// <summary>RFC 9101 §10.5: its authorization requests must come as request objects it signed.</summary>
    public bool RequireSignedRequestObject => client.RequireSignedRequestObject;

    public byte[]? SecretHash { get; } = client.SecretHash.IsEmpty ? null : client.SecretHash.ToByteArray();

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
