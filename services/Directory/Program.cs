using OAuthAspire.Directory;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddDirectoryServices();

var app = builder.Build();
app.MapDirectoryEndpoints();
await app.RunServiceAsync();
