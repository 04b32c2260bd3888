using OAuthAspire.ScopePolicy;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddScopePolicyServices();

var app = builder.Build();
app.MapScopePolicyEndpoints();
await app.RunServiceAsync();
