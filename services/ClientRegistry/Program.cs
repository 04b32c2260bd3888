using OAuthAspire.ClientRegistry;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddClientRegistryServices();

var app = builder.Build();
app.MapClientRegistryEndpoints();
await app.RunServiceAsync();
