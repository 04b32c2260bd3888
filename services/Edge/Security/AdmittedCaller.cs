using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Whom an admitted bearer token speaks for: one of this issuer's access tokens with its client as
/// it is now, or a trusted provider's token as federation-trust mapped it. A struct over what
/// admission already holds, so admitting a call allocates nothing more.
/// </summary>
public readonly struct AdmittedCaller
{
    private readonly AccessTokenContent? _token;
    private readonly Client? _client;
    private readonly FederatedIdentity? _federated;

    public AdmittedCaller(AccessTokenContent token, Client client)
    {
        _token = token;
        _client = client;
        _federated = null;
    }

    public AdmittedCaller(FederatedIdentity federated)
    {
        _token = null;
        _client = null;
        _federated = federated;
    }

    public string ClientId => _federated?.ClientId ?? Token.ClientId;

    /// <summary>The token's scopes, or the trust's for a provider's token.</summary>
    public IReadOnlyList<string> GrantedScopes => _federated?.Scopes ?? Token.Scopes;

    /// <summary>The client's allowed scopes now; null for a provider's token, which no client of ours limits.</summary>
    public IEnumerable<string>? ClientScopes => _client?.Scopes;

    public IReadOnlyList<string> Roles => _federated?.Roles ?? Token.Roles;

    /// <summary>The trusted provider's name; null for this issuer's tokens.</summary>
    public string? Trust => _federated?.Trust;

    /// <summary>The client is held to FAPI 2.0 (its DPoP proofs are PS256 or ES256 only).</summary>
    public bool Fapi2 => _client?.Profile == Protocol.Clients.ClientProfiles.Fapi2;

    /// <summary>The audience of this issuer's token (the default one or an API's, RFC 8707); null for a provider's token, which its trust checked.</summary>
    public string? Audience => _token?.Audience;

    /// <summary>Who the audit trail names (a client acting for itself has no user).</summary>
    public AuditActor Actor => _federated is { } federated
        ? new AuditActor(federated.UserSysId, federated.UserName, federated.ClientId)
        : new AuditActor(Token.Subject == Token.ClientId ? null : Token.Subject, Token.UserName, Token.ClientId);

    /// <summary>What the token is bound to (<c>cnf</c>: a DPoP key, RFC 9449, or a client certificate, RFC 8705); null for unbound and provider tokens.</summary>
    public Confirmation? Confirmation => _token?.Cnf;

    /// <summary>The verified identity the API behind is told, with the scopes that count and the binding the edge checked.</summary>
    public EdgeIdentity IdentityWith(string[] scopes, string? binding) => _federated is { } federated
        ? new EdgeIdentity(federated.UserSysId, federated.UserName, federated.ClientId, scopes, federated.Roles, federated.Trust)
        : new EdgeIdentity(Token.Subject, Token.UserName, Token.ClientId, scopes, Token.Roles, Binding: binding);

    // Set whenever no provider's identity is: the two constructors make nothing else.
    private AccessTokenContent Token => _token!;
}
