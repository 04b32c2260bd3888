using System.Security.Cryptography;
using System.Text;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Registration;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Mtls;
using OAuthAspire.ServiceDefaults.Caching;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Token.Clients;

public enum ClientFailure
{
    None,
    NoCredentials,
    UnknownClient,
    BadSecret,
    SecretRequired,
    Inactive,
    BadAssertion,

    /// <summary>The certificate is not one this client authenticates with (or it registered none).</summary>
    BadCertificate,

    /// <summary>The client is registered for certificate authentication and came with another credential.</summary>
    CertificateRequired,

    /// <summary>A FAPI 2.0 client came with its secret: it authenticates with private_key_jwt or mutual TLS only.</summary>
    StrongAuthenticationRequired,
}

/// <summary>
/// Finds and authenticates clients. Registrations are cached here (a minute at most, dropped
/// within a second by client events), and a presented secret is checked against the cached
/// SHA-256 in constant time, so a token request costs no call to the registry.
/// </summary>
public sealed class RegisteredClients(ClientRegistryClient registry, ClientAssertions assertions, ClientCertificates certificates)
{
    private static readonly byte[] Decoy = new byte[32];

    private readonly CachedLookup<string, RegisteredClient?> _cache = new(async (id, ct) =>
    {
        var reply = await registry.GetClientAsync(new GetClientRequest { ClientId = id }, cancellationToken: ct);
        return reply.Found ? new RegisteredClient(reply.Client) : null;
    });

    /// <summary>Events that change a client (a client created drops a cached "unknown" left by a request for the id before).</summary>
    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<ClientCreated>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
        InvalidateOn<ClientUpdated>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
        InvalidateOn<ClientDeleted>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
        InvalidateOn<ClientSecretRotated>.Key((RegisteredClients c) => c._cache, e => e.ClientId),
    ];

    public ValueTask<RegisteredClient?> FindAsync(string clientId, CancellationToken cancellationToken) => _cache.GetAsync(clientId, cancellationToken);

    /// <summary>
    /// A client_id that is a URL (Client ID Metadata Documents): the registry is asked to fetch its document when it has
    /// none or a stale one; the next look-up then reads what is stored. Only where a client starts a flow, never the token endpoint.
    /// </summary>
    public async Task ResolveAsync(string? clientId, CancellationToken cancellationToken)
    {
        if (ClientIdMetadataDocument.IsUrl(clientId) && Identifiers.IsClientId(clientId))
        {
            await registry.GetClientAsync(new GetClientRequest { ClientId = clientId, Resolve = true }, cancellationToken: cancellationToken);
            _cache.Invalidate(clientId!);
        }
    }

    public async ValueTask<(RegisteredClient? Client, ClientFailure Failure)> AuthenticateAsync(ClientCredentials credentials, CancellationToken cancellationToken,
        string? remoteAddress = null)
    {
        switch (credentials)
        {
            case ClientCredentials.Assertion assertion:
            {
                // The client is named by client_id or, failing that, by the assertion's (still unverified) issuer.
                var clientId = assertion.ClientId ?? JwtAssertion.Peek(assertion.Jwt).Issuer;
                var client = !Identifiers.IsClientId(clientId) ? null : await FindAsync(clientId!, cancellationToken);
                if (client is null)
                {
                    return (null, ClientFailure.UnknownClient);
                }

                if (client.AuthenticatesByCertificate)
                {
                    return (null, ClientFailure.CertificateRequired);
                }

                if (client.Public || !await assertions.VerifyAsync(client.ClientId, assertion.Jwt, remoteAddress, cancellationToken, client.Fapi2))
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
                    { AuthenticatesByCertificate: true } => (null, ClientFailure.CertificateRequired),
                    // FAPI 2.0 §5.3.3.4: private_key_jwt or mutual TLS only.
                    { Fapi2: true } => (null, ClientFailure.StrongAuthenticationRequired),
                    { Active: false } => (null, ClientFailure.Inactive),
                    _ => (client, ClientFailure.None),
                };
            }

            case ClientCredentials.Certificate presented:
            {
                var client = await FindAsync(presented.ClientId, cancellationToken);
                return client switch
                {
                    null => (null, ClientFailure.UnknownClient),
                    // RFC 8705 §4: a public client's certificate binds its tokens; it authenticates nothing.
                    { Public: true, Active: true } => (client, ClientFailure.None),
                    { Public: false } when !certificates.Authenticates(client.TlsClientAuth, client.TlsClientCertificateThumbprints, presented.ClientCertificate) => (null, ClientFailure.BadCertificate),
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
