using OAuthAspire.Edge;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeServices();

var app = builder.Build();
app.MapEdgeEndpoints();
await app.RunServiceAsync();
