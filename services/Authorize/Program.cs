using OAuthAspire.Authorize;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddAuthorizeServices();

var app = builder.Build();
app.MapAuthorizeEndpoints();
await app.RunServiceAsync();
