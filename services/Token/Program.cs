using OAuthAspire.ServiceDefaults;
using OAuthAspire.Token;

var builder = WebApplication.CreateBuilder(args);
builder.AddTokenServices();

var app = builder.Build();
app.MapTokenEndpoints();
await app.RunServiceAsync();
