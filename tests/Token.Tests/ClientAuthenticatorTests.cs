using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.ClientRegistry;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Clients;
using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.Protocol.Requests;
using OAuthAspire.ServiceDefaults.Security;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Endpoints;
using OAuthAspire.Token.Mtls;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;

namespace OAuthAspire.Token.Tests;

/// <summary>
/// The one client-authentication step of the back-channel endpoints: which credentials name which
/// client, and which refusal each failure gets. A wrong secret, an unknown client and an inactive
/// one look the same to the caller (the audit trail has the reason); malformed credentials are a bad
/// request before any look-up; a bare client_id counts only for a public client, and not where proof is required.
/// </summary>
public sealed class ClientAuthenticatorTests : IDisposable
{
    private const string Secret = "the-billing-apps-secret-in-these-tests";

    private readonly CannedCalls _registry = new();
    private readonly FakeAuditSink _audit = new();
    // Never opened: no assertion here gets as far as its jti.
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=token;Database=token");
    private readonly RemoteKeySets _remoteKeys = new(TimeProvider.System, new Production(), new ConfigurationBuilder().Build(),
        NullLogger<RemoteKeySets>.Instance);
    private readonly ClientAuthenticator _authenticator;

    public ClientAuthenticatorTests()
    {
        var clients = new[]
        {
            Registered("billing-app", isPublic: false, active: true),
            Registered("retired-app", isPublic: false, active: false),
            Registered("spa-app", isPublic: true, active: true),
            Mtls(Registered("tls-app", isPublic: false, active: true), c => c.TlsClientAuthSubjectDn = "CN=tls-app, O=Example"),
            Mtls(Registered("self-signed-app", isPublic: false, active: true),
                c => c.TlsClientCertificateThumbprints.Add(MtlsProtocol.Thumbprint(SelfSignedCertificate))),
        }.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        _registry.On<GetClientRequest, ClientReply>("GetClient", request =>
            clients.TryGetValue(request.ClientId, out var client) ? new ClientReply { Found = true, Client = client } : new ClientReply { Found = false });
        _registry.On<GetVerifierKeysRequest, GetVerifierKeysReply>("GetVerifierKeys", _ => new GetVerifierKeysReply { Found = false });

        var registry = new ClientRegistryClient(_registry);
        var services = new ServiceCollection().AddSingleton(registry).BuildServiceProvider();
        var assertions = new ClientAssertions(new VerifierKeys(services, _remoteKeys), new JtiStore(_dataSource, NullLogger<JtiStore>.Instance), Issuer.Create("https://id.example.com", false),
            _audit, TimeProvider.System);
        _authenticator = new ClientAuthenticator(new RegisteredClients(registry, assertions, Certificates));
    }

    // mutual TLS (RFC 8705): a test authority the service trusts, a certificate from it, one from a
    // rogue authority with the same names, and a registered self-signed one.
    private static readonly ECDsa AuthorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly X509Certificate2 Authority = NewAuthority(AuthorityKey);
    private static readonly X509Certificate2 TlsAppCertificate = Issue("CN=tls-app, O=Example", Authority, AuthorityKey);
    private static readonly X509Certificate2 RogueCertificate = Issue("CN=tls-app, O=Example", NewAuthority(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly X509Certificate2 SelfSignedCertificate = SelfSigned();
    private static readonly string AuthorityFile = WriteAuthority();

    private static ClientCertificates Certificates => new(ClientCertificates.LoadAuthorities(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ClientCertificates.AuthoritiesKey] = AuthorityFile }).Build()),
        TimeProvider.System);

    public void Dispose()
    {
        _remoteKeys.Dispose();
        _dataSource.Dispose();
    }

    private static Client Registered(string clientId, bool isPublic, bool active)
    {
        var client = new Client { ClientId = clientId, Name = clientId, Public = isPublic, Active = active, Version = 1 };
        if (!isPublic)
        {
            client.SecretHash = ByteString.CopyFrom(SHA256.HashData(Encoding.UTF8.GetBytes(Secret)));
        }

        return client;
    }

    private static Client Mtls(Client client, Action<Client> register)
    {
        register(client);
        return client;
    }

    private ValueTask<AuthenticatedClient> AuthenticateAsync(string? basic, bool publicClients, params (string Name, string? Value)[] form) =>
        AuthenticateAsync(basic, publicClients, null, fromEdge: true, form);

    /// <param name="certificate">The client certificate the edge forwards in Client-Cert (RFC 9440).</param>
    /// <param name="fromEdge">Whether the request carries the edge's identity (ServiceDefaults' EdgeTrust marks it so).</param>
    private ValueTask<AuthenticatedClient> AuthenticateAsync(string? basic, bool publicClients, X509Certificate2? certificate, bool fromEdge,
        params (string Name, string? Value)[] form)
    {
        var http = new DefaultHttpContext();
        if (certificate is not null)
        {
            http.Request.Headers[ClientCertHeader.Name] = ClientCertHeader.Format(certificate);
        }

        if (fromEdge)
        {
            http.Items[EdgeTrust.FromEdgeItem] = true;
        }

        http.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.23");
        if (basic is not null)
        {
            http.Request.Headers.Authorization = "Basic " + basic;
        }

        return _authenticator.AuthenticateAsync(http, RequestParameters.Of(form), publicClients);
    }

    private static (string Name, string? Value)[] AssertionFor(string clientId) =>
    [
        ("client_id", clientId),
        ("client_assertion_type", ClientAuthentication.JwtBearerAssertionType),
        ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"),
    ];

    private int Lookups => _registry.Requests<GetClientRequest>("GetClient").Count;

    [Fact]
    public async Task TheRightSecretAuthenticatesTheClientInTheHeader()
    {
        var result = await AuthenticateAsync(ClientAuthentication.EncodeBasic("billing-app", Secret), publicClients: true);

        Assert.Equal("billing-app", result.Client?.ClientId);
        Assert.Equal("billing-app", result.ClientId);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task TheRightSecretAuthenticatesTheClientInTheForm()
    {
        var result = await AuthenticateAsync(null, publicClients: true, ("client_id", "billing-app"), ("client_secret", Secret));

        Assert.Equal("billing-app", result.Client?.ClientId);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task AWrongSecretAnUnknownClientAndAnInactiveOneGetTheSameAnswer()
    {
        var wrong = await AuthenticateAsync(ClientAuthentication.EncodeBasic("billing-app", Secret + "x"), publicClients: true);
        var unknown = await AuthenticateAsync(ClientAuthentication.EncodeBasic("ghost-app", Secret), publicClients: true);
        var inactive = await AuthenticateAsync(ClientAuthentication.EncodeBasic("retired-app", Secret), publicClients: true);

        foreach (var (result, claimed, reason) in new[] { (wrong, "billing-app", ClientFailure.BadSecret), (unknown, "ghost-app", ClientFailure.UnknownClient),
            (inactive, "retired-app", ClientFailure.Inactive) })
        {
            Assert.Null(result.Client);
            Assert.Equal(claimed, result.ClientId);
            Assert.Equal(reason.ToString(), result.Reason);
            Assert.Equal(wrong.Error, result.Error);
        }

        Assert.Equal(OAuthErrorCodes.InvalidClient, wrong.Error?.Error);
        Assert.Equal(StatusCodes.Status401Unauthorized, wrong.Error?.StatusCode);
    }

    [Fact]
    public async Task APublicClientIsNamedByItsIdAloneButNotWhereProofIsRequired()
    {
        var introspection = await AuthenticateAsync(null, publicClients: false, ("client_id", "spa-app"));

        Assert.Null(introspection.Client);
        Assert.Equal("spa-app", introspection.ClientId);
        Assert.Equal(nameof(ClientFailure.NoCredentials), introspection.Reason);
        Assert.Equal(StatusCodes.Status401Unauthorized, introspection.Error?.StatusCode);
        Assert.Equal(0, Lookups);

        var token = await AuthenticateAsync(null, publicClients: true, ("client_id", "spa-app"));
        Assert.Equal("spa-app", token.Client?.ClientId);
        Assert.Null(token.Error);
    }

    [Fact]
    public async Task AConfidentialClientNamingOnlyItsIdIsRefused()
    {
        var result = await AuthenticateAsync(null, publicClients: true, ("client_id", "billing-app"));

        Assert.Null(result.Client);
        Assert.Equal(nameof(ClientFailure.SecretRequired), result.Reason);
        Assert.Equal(OAuthErrorCodes.InvalidClient, result.Error?.Error);
    }

    [Fact]
    public async Task NoCredentialsAtAllAreAskedFor()
    {
        var none = await AuthenticateAsync(null, publicClients: true, ("grant_type", "client_credentials"));
        var failed = await AuthenticateAsync(ClientAuthentication.EncodeBasic("billing-app", "not-the-secret"), publicClients: true);

        Assert.Null(none.ClientId);
        Assert.Equal(nameof(ClientFailure.NoCredentials), none.Reason);
        Assert.Equal(OAuthErrorCodes.InvalidClient, none.Error?.Error);
        // Asked for, not failed: the descriptions differ.
        Assert.NotEqual(failed.Error?.Description, none.Error?.Description);
    }

    [Fact]
    public async Task TwoAuthenticationMethodsAtOnceAreABadRequestBeforeAnyLookup()
    {
        var result = await AuthenticateAsync(ClientAuthentication.EncodeBasic("billing-app", Secret), publicClients: true,
            ("client_id", "billing-app"), ("client_secret", Secret));

        Assert.Null(result.Client);
        Assert.Equal(OAuthErrorCodes.InvalidRequest, result.Error?.Error);
        Assert.Equal(StatusCodes.Status400BadRequest, result.Error?.StatusCode);
        Assert.Equal(0, Lookups);
    }

    [Fact]
    public async Task AnAssertionForAPublicClientIsRefusedWithoutBeingChecked()
    {
        var result = await AuthenticateAsync(null, publicClients: true, AssertionFor("spa-app"));

        Assert.Null(result.Client);
        Assert.Equal(nameof(ClientFailure.BadAssertion), result.Reason);
        Assert.Empty(_registry.Requests<GetVerifierKeysRequest>("GetVerifierKeys"));
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AnAssertionForAClientWithoutKeysIsRefusedAndAudited()
    {
        var result = await AuthenticateAsync(null, publicClients: true, AssertionFor("billing-app"));

        Assert.Null(result.Client);
        Assert.Equal("billing-app", result.ClientId);
        Assert.Equal(nameof(ClientFailure.BadAssertion), result.Reason);
        Assert.Equal(OAuthErrorCodes.InvalidClient, result.Error?.Error);
        var refused = Assert.IsType<ClientAssertionRefused>(Assert.Single(_audit.Events));
        Assert.Equal("billing-app", refused.ClientId);
        Assert.Equal(AuditOutcome.Failure, refused.Outcome);
        Assert.Equal("198.51.100.23", refused.RemoteAddress);
    }

    /// <summary>Remote key sets refuse http outside development; nothing here fetches.</summary>
    private sealed class Production : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;

        public string ApplicationName { get; set; } = "token-tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    [Fact]
    public async Task ACertificateFromTheTrustedAuthorityWithTheRegisteredSubjectAuthenticatesTlsClientAuth()
    {
        var result = await AuthenticateAsync(null, publicClients: false, TlsAppCertificate, fromEdge: true, ("client_id", "tls-app"));

        Assert.Equal("tls-app", result.Client?.ClientId);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task TheSameNamesFromAnotherAuthorityAreRefused()
    {
        var result = await AuthenticateAsync(null, publicClients: true, RogueCertificate, fromEdge: true, ("client_id", "tls-app"));

        Assert.Null(result.Client);
        Assert.Equal(nameof(ClientFailure.BadCertificate), result.Reason);
        Assert.Equal(OAuthErrorCodes.InvalidClient, result.Error?.Error);
    }

    [Fact]
    public async Task ACertificateHeaderNotSentByTheEdgeIsNoCredential()
    {
        var result = await AuthenticateAsync(null, publicClients: true, TlsAppCertificate, fromEdge: false, ("client_id", "tls-app"));

        Assert.Null(result.Client);
        Assert.Equal(nameof(ClientFailure.SecretRequired), result.Reason);
    }

    [Fact]
    public async Task OnlyTheRegisteredSelfSignedCertificateAuthenticatesItsClient()
    {
        var registered = await AuthenticateAsync(null, publicClients: false, SelfSignedCertificate, fromEdge: true, ("client_id", "self-signed-app"));
        var other = await AuthenticateAsync(null, publicClients: false, SelfSigned(), fromEdge: true, ("client_id", "self-signed-app"));
        // A self-signed certificate never passes for a tls_client_auth client, whatever names it carries.
        var selfMade = await AuthenticateAsync(null, publicClients: false, SelfSigned("CN=tls-app, O=Example"), fromEdge: true, ("client_id", "tls-app"));

        Assert.Equal("self-signed-app", registered.Client?.ClientId);
        Assert.Null(other.Client);
        Assert.Equal(nameof(ClientFailure.BadCertificate), other.Reason);
        Assert.Null(selfMade.Client);
        Assert.Equal(nameof(ClientFailure.BadCertificate), selfMade.Reason);
    }

    [Fact]
    public async Task AClientWithoutCertificateRegistrationIsNotAuthenticatedByOne()
    {
        var result = await AuthenticateAsync(null, publicClients: true, TlsAppCertificate, fromEdge: true, ("client_id", "billing-app"));

        Assert.Null(result.Client);
        Assert.Equal(nameof(ClientFailure.BadCertificate), result.Reason);
    }

    [Fact]
    public async Task APublicClientsCertificateNamesItButProvesNothing()
    {
        var token = await AuthenticateAsync(null, publicClients: true, SelfSignedCertificate, fromEdge: true, ("client_id", "spa-app"));
        var introspection = await AuthenticateAsync(null, publicClients: false, SelfSignedCertificate, fromEdge: true, ("client_id", "spa-app"));

        Assert.Equal("spa-app", token.Client?.ClientId);
        Assert.Null(introspection.Client);
        Assert.Equal(nameof(ClientFailure.NoCredentials), introspection.Reason);
    }

    private static X509Certificate2 NewAuthority(ECDsa key)
    {
        var request = new CertificateRequest("CN=Token Tests Client CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(string subject, X509Certificate2 authority, ECDsa authorityKey)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), DateTimeOffset.UtcNow.AddMinutes(-5),
            DateTimeOffset.UtcNow.AddDays(1), [0x01, 0x02, 0x03, 0x04]);
    }

    private static X509Certificate2 SelfSigned(string subject = "CN=self-signed-app")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static string WriteAuthority()
    {
        var path = Path.Combine(Path.GetTempPath(), $"token-tests-client-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }
}
