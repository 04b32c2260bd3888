using OAuthAspire.AppHost;
using OAuthAspire.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = OAuthInfrastructure.Add(builder);
var system = new OAuthSystem(builder, infrastructure);

// Secrets with generated defaults: the first administrator, the bootstrap client, the keys that
// encrypt signing keys and session keys at rest, and the key of the hashes that stand for typed user names in the
// audit trail (read them in the dashboard or with `dotnet user-secrets list`). Each goes only to
// the services that use it; the services' own keys and logins are added with each service.
var adminPassword = system.Secret("admin-password");
var bootstrapClientId = builder.AddParameter("bootstrap-client-id", "oauthaspire-bootstrap", publishValueAsDefault: true);
var bootstrapClientSecret = system.Secret("bootstrap-client-secret");
var keyEncryptionKey = system.Secret("key-encryption-key");
var userNameHashKey = system.Secret("user-name-hash-key");
var sessionKeyEncryptionKey = system.Secret("session-key-encryption-key");

var edge = system.AddEdge()
    .WithEnvironment("AuditHash__Key", userNameHashKey);
var authorize = system.AddService<Projects.Authorize>("authorize")
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WithEnvironment("AuditHash__Key", userNameHashKey)
    // Encrypts the sign-in session's Data Protection keys at rest: the authorize service's alone.
    .WithEnvironment("Keys__EncryptionKey", sessionKeyEncryptionKey);
var token = system.AddService<Projects.Token>("token")
    .WithEnvironment("Keys__EncryptionKey", keyEncryptionKey);
var clientRegistry = system.AddService<Projects.ClientRegistry>("client-registry")
    .WithEnvironment("Keys__EncryptionKey", keyEncryptionKey)
    .WithEnvironment("Bootstrap__ClientId", bootstrapClientId)
    .WithEnvironment("Bootstrap__ClientSecret", bootstrapClientSecret);
var federationTrust = system.AddService<Projects.FederationTrust>("federation-trust");
var scopePolicy = system.AddService<Projects.ScopePolicy>("scope-policy");
var tableApi = system.AddApi<Projects.TableApi>("table-api");

// Who calls whom (service discovery only: WaitFor between services would deadlock on the cycles).
edge.WithReference(authorize).WithReference(token).WithReference(clientRegistry)
    .WithReference(federationTrust).WithReference(scopePolicy).WithReference(tableApi);
authorize.WithReference(token).WithReference(clientRegistry).WithReference(scopePolicy);
token.WithReference(authorize).WithReference(clientRegistry).WithReference(scopePolicy).WithReference(federationTrust);
clientRegistry.WithReference(authorize).WithReference(scopePolicy).WithReference(federationTrust);
federationTrust.WithReference(authorize).WithReference(scopePolicy).WithReference(clientRegistry);
scopePolicy.WithReference(clientRegistry);

builder.Build().Run();
