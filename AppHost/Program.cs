using OAuthAspire.AppHost;
using OAuthAspire.AppHost.Infrastructure;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

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
// The admin console's client secret (the client registry keeps its hash) and the key sealing its key ring.
var consoleClientSecret = system.Secret("console-client-secret");
var consoleKeyEncryptionKey = system.Secret("console-key-encryption-key");
// Seals our client secrets at trusted providers (introspection): federation-trust's alone.
var federationKeyEncryptionKey = system.Secret("federation-key-encryption-key");

var edge = system.AddEdge()
    .WithEnvironment("AuditHash__Key", userNameHashKey);
var authorize = system.AddService<Projects.Authorize>(ServiceNames.Authorize)
    // Encrypts the sign-in session's Data Protection keys at rest: the authorize service's alone.
    .WithEnvironment("Keys__EncryptionKey", sessionKeyEncryptionKey);
// The users: the first administrator, and the key of the failed-password counters' name hashes.
var directory = system.AddService<Projects.Directory>(ServiceNames.Directory)
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WithEnvironment("AuditHash__Key", userNameHashKey);
var token = system.AddService<Projects.Token>(ServiceNames.Token)
    .WithEnvironment("Keys__EncryptionKey", keyEncryptionKey);
var clientRegistry = system.AddService<Projects.ClientRegistry>(ServiceNames.ClientRegistry)
    .WithEnvironment("Keys__EncryptionKey", keyEncryptionKey)
    .WithEnvironment("Bootstrap__ClientId", bootstrapClientId)
    .WithEnvironment("Bootstrap__ClientSecret", bootstrapClientSecret)
    .WithEnvironment("Bootstrap__ConsoleClientSecret", consoleClientSecret);
var federationTrust = system.AddService<Projects.FederationTrust>(ServiceNames.FederationTrust)
    .WithEnvironment("Keys__EncryptionKey", federationKeyEncryptionKey);
var scopePolicy = system.AddService<Projects.ScopePolicy>(ServiceNames.ScopePolicy);
// The audit log: follows the audit stream (read-only) into its own table for the auditors' query API.
var auditLog = system.AddService<Projects.AuditLog>(ServiceNames.AuditLog)
    .WithEnvironment("AuditLog__Stream", AuditStreamSettings.From(builder.Configuration).Name);
var tableApi = system.AddApi<Projects.TableApi>(ServiceNames.TableApi);
var console = system.AddConsole(consoleClientSecret, consoleKeyEncryptionKey);

// Who calls whom (service discovery), and who waits at start for whom to be healthy (WaitFor):
// each service references exactly the services it calls and waits for each of them. The graph has
// no cycle (scope-policy, directory and audit-log call no one), so every start waits for its callees: scope-policy,
// directory and audit-log, federation-trust, client-registry, token, authorize, edge. The edge also proxies to
// the sample API and the console, which it does not wait for (a call to one while it is down is a 503);
// the console calls only the edge's public URL, so it waits for nothing.
edge.WithReference(authorize).WithReference(token).WithReference(clientRegistry)
    .WithReference(federationTrust).WithReference(scopePolicy).WithReference(directory).WithReference(auditLog).WithReference(tableApi).WithReference(console)
    .WaitFor(authorize).WaitFor(token).WaitFor(clientRegistry).WaitFor(federationTrust).WaitFor(scopePolicy).WaitFor(directory).WaitFor(auditLog);
authorize.WithReference(token).WithReference(clientRegistry).WithReference(scopePolicy).WithReference(directory).WithReference(federationTrust)
    .WaitFor(token).WaitFor(clientRegistry).WaitFor(scopePolicy).WaitFor(directory).WaitFor(federationTrust);
token.WithReference(clientRegistry).WithReference(scopePolicy).WithReference(federationTrust).WithReference(directory)
    .WaitFor(clientRegistry).WaitFor(scopePolicy).WaitFor(federationTrust).WaitFor(directory);
clientRegistry.WithReference(scopePolicy).WithReference(federationTrust).WithReference(directory)
    .WaitFor(scopePolicy).WaitFor(federationTrust).WaitFor(directory);
federationTrust.WithReference(scopePolicy).WithReference(directory)
    .WaitFor(scopePolicy).WaitFor(directory);

// The dashboard's links to the issuer's documents and its developer commands (through the admin API).
DeveloperCommands.AddLinks(edge, () => system.IssuerUrl);
DeveloperCommands.AddCommands(token, authorize, () => system.IssuerUrl, bootstrapClientId, bootstrapClientSecret);

builder.Build().Run();

// Publish mode with Deploy:Kubernetes:Output: the Kubernetes deployment, from the manifest just written (deploy/generate).
OAuthAspire.AppHost.Deployment.KubernetesDeployment.WriteIfAsked(builder, args);
