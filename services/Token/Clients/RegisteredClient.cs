using OAuthAspire.Contracts.Grpc.ClientRegistry;

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
    /// <summary>Trusted providers whose tokens this client may exchange (by trust name).</summary>
    public IReadOnlyList<string> Trusts => client.Trusts;
    public bool DpopBoundAccessTokens => client.DpopBoundAccessTokens;
    public bool DpopNonceRequired => client.DpopNonceRequired;
    public byte[]? SecretHash { get; } = client.SecretHash.IsEmpty ? null : client.SecretHash.ToByteArray();
}
