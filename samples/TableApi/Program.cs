using OAuthAspire.Samples.TableApi;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTableApiServices();

var app = builder.Build();
app.MapTableApi();
await app.RunServiceAsync();
