using OAuthAspire.FederationTrust;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddFederationTrustServices();

var app = builder.Build();
app.MapFederationTrustEndpoints();
await app.RunServiceAsync();
