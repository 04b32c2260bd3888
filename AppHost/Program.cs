using OAuthAspire.AppHost;
using OAuthAspire.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = OAuthInfrastructure.Add(builder);
var system = new OAuthSystem(builder, infrastructure);

var edge = system.AddEdge();
var authorize = system.AddService<Projects.Authorize>("authorize");
var token = system.AddService<Projects.Token>("token");
var clientRegistry = system.AddService<Projects.ClientRegistry>("client-registry");
var federationTrust = system.AddService<Projects.FederationTrust>("federation-trust");
var scopePolicy = system.AddService<Projects.ScopePolicy>("scope-policy");

// Who calls whom (service discovery only: WaitFor between services would deadlock on the cycles).
edge.WithReference(authorize).WithReference(token).WithReference(clientRegistry)
    .WithReference(federationTrust).WithReference(scopePolicy);
authorize.WithReference(token).WithReference(clientRegistry).WithReference(scopePolicy);
token.WithReference(authorize).WithReference(clientRegistry).WithReference(scopePolicy).WithReference(federationTrust);
clientRegistry.WithReference(authorize).WithReference(scopePolicy);
federationTrust.WithReference(authorize).WithReference(scopePolicy);
scopePolicy.WithReference(clientRegistry);

builder.Build().Run();
