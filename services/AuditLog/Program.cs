using OAuthAspire.AuditLog;
using OAuthAspire.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddAuditLogServices();

var app = builder.Build();
app.MapAuditLogEndpoints();
await app.RunServiceAsync();
