using OAuthAspire.AdminConsole;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddConsoleServices();

var app = builder.Build();
app.MapConsole();
await app.RunServiceAsync();
