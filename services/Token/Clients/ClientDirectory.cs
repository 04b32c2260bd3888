using System.Security.Cryptography;
using System.Text;
using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Token.Assertions;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Token.Clients;

/// <summary>An OAuth application as the token service sees it.</summary>
public sealed class ClientInfo(Client client)
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
    public byte[]? SecretHash { get; } = client.SecretHash.IsEmpty ? null : client.SecretHash.ToByteArray();
}

public enum ClientFailure
{
    None,
    NoCredentials,
    UnknownClient,
    BadSecret,
    SecretRequired,
    Inactive,
    BadAssertion,
}

/// <summary>
/// Finds and authenticates clients. Registrations are cached here (a minute at most, dropped
/// within a second by client events), and a presented secret is checked against the cached
/// SHA-256 in constant time, so a token request costs no call to the registry.
/// </summary>
public sealed class ClientDirectory(ClientRegistryClient registry, ClientAssertions assertions)
{
    private static readonly byte[] Decoy = new byte[32];
    private readonly ExpiringCache<string, ClientInfo?> _cache = new(TimeSpan.FromSeconds(60));

    public ExpiringCache<string, ClientInfo?> Cache => _cache;

    public ValueTask<ClientInfo?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        _cache.GetOrAddAsync(clientId, async (id, ct) =>
        {
            var reply = await registry.GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
            return reply.Found ? new ClientInfo(reply.Client) : null;
        }, cancellationToken);

    public async ValueTask<(ClientInfo? Client, ClientFailure Failure)> AuthenticateAsync(ClientCredentials credentials, CancellationToken cancellationToken,
        string? remoteAddress = null)
    {
        switch (credentials)
        {
            case ClientCredentials.Assertion assertion:
            {
                // The client is named by client_id or, failing that, by the assertion's (still unverified) issuer.
                var clientId = assertion.ClientId ?? JwtAssertion.Peek(assertion.Jwt).Issuer;
                var client = clientId is null || clientId.Length > 128 ? null : await FindAsync(clientId, cancellationToken);
                if (client is null)
                {
                    return (null, ClientFailure.UnknownClient);
                }

                if (client.Public || !await assertions.VerifyAsync(client.ClientId, assertion.Jwt, remoteAddress, cancellationToken))
                {
                    return (null, ClientFailure.BadAssertion);
                }

                return client.Active ? (client, ClientFailure.None) : (null, ClientFailure.Inactive);
            }

            case ClientCredentials.Secret secret:
            {
                var client = await FindAsync(secret.ClientId, cancellationToken);
                // One hash and one constant-time comparison whatever happens.
                var presented = SHA256.HashData(Encoding.UTF8.GetBytes(secret.ClientSecret));
                var matches = CryptographicOperations.FixedTimeEquals(client?.SecretHash ?? Decoy, presented) && client?.SecretHash is not null;
                return client switch
                {
                    null => (null, ClientFailure.UnknownClient),
                    _ when !matches => (null, ClientFailure.BadSecret),
                    { Active: false } => (null, ClientFailure.Inactive),
                    _ => (client, ClientFailure.None),
                };
            }

            case ClientCredentials.IdOnly idOnly:
            {
                var client = await FindAsync(idOnly.ClientId, cancellationToken);
                return client switch
                {
                    null => (null, ClientFailure.UnknownClient),
                    { Public: false } => (null, ClientFailure.SecretRequired),
                    { Active: false } => (null, ClientFailure.Inactive),
                    _ => (client, ClientFailure.None),
                };
            }

            default:
                return (null, ClientFailure.NoCredentials);
        }
    }
}

/// <summary>Drops a client from this instance's cache when the registry says it changed.</summary>
public sealed class ClientChangedConsumer(ClientDirectory clients, VerifierKeys verifierKeys)
    : IConsumer<ClientCreated>, IConsumer<ClientUpdated>, IConsumer<ClientDeleted>, IConsumer<ClientSecretRotated>
{
    // A request for the id before it was registered left "unknown" in the cache.
    public Task Consume(ConsumeContext<ClientCreated> context) => Drop(context.Message.ClientId);

    public Task Consume(ConsumeContext<ClientUpdated> context) => Drop(context.Message.ClientId);

    public Task Consume(ConsumeContext<ClientDeleted> context) => Drop(context.Message.ClientId);

    public Task Consume(ConsumeContext<ClientSecretRotated> context) => Drop(context.Message.ClientId);

    private Task Drop(string clientId)
    {
        clients.Cache.Invalidate(clientId);
        verifierKeys.Settings.Invalidate(clientId);
        return Task.CompletedTask;
    }
}
