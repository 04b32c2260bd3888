using OAuthAspire.AuditLog.Events;
using OAuthAspire.AuditLog.Ingest;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.AuditLog;

public static class AuditLogServices
{
    public static WebApplicationBuilder AddAuditLogServices(this WebApplicationBuilder builder)
    {
        // Calls no other service; reads the audit stream with its own read-only permission on it.
        builder.AddOAuthService("auditlogdb", typeof(AuditLogServices).Assembly);
        builder.Services.Configure<AuditLogOptions>(builder.Configuration.GetSection(AuditLogOptions.Section));
        builder.Services.AddSingleton<AuditEventStore>();
        builder.Services.AddHostedService<AuditIngest>();
        builder.Services.AddHostedService<AuditLogHousekeeping>();
        return builder;
    }

    public static WebApplication MapAuditLogEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapAuditQueryEndpoints();
        return app;
    }
}
