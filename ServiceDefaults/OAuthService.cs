using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Messaging;

using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults;

/// <summary>The ground every OAuthAspire service stands on, in one call.</summary>
public static class OAuthService
{
    /// <summary>
    /// Service defaults, the service's own database (migrated from the embedded
    /// <c>Migrations/*.sql</c> of <paramref name="serviceAssembly"/>), the bus and the audit outbox.
    /// The issuer is not among them: the services that speak the protocol register it themselves,
    /// so these host defaults never depend on the protocol core.
    /// </summary>
    /// <param name="instanceConsumers">Bus consumers each instance runs; <paramref name="sharedConsumers"/> run once per event
    /// (see <see cref="Bus.AddAuditedBus"/>).</param>
    /// <param name="invalidations">What change events drop from the service's caches (see <see cref="InvalidateOn{TEvent}"/>).</param>
    public static TBuilder AddOAuthService<TBuilder>(this TBuilder builder, string connectionName, Assembly serviceAssembly,
        Type[]? instanceConsumers = null, Type[]? sharedConsumers = null, CacheInvalidation[]? invalidations = null) where TBuilder : IHostApplicationBuilder
    {
        builder.AddServiceDefaults();
        builder.AddServiceDatabase(connectionName, serviceAssembly);
        builder.AddAuditedBus(instanceConsumers ?? [], sharedConsumers ?? [], invalidations);
        builder.Services.AddAdminOpenApi(builder.Configuration[$"{ServiceIdentityOptions.Section}:Name"] ?? serviceAssembly.GetName().Name!);
        return builder;
    }

    /// <summary>Edge trust first (it sets the client address everything else sees), then health.</summary>
    /// <param name="problemStatusPages">Give bare 4xx/5xx answers a ProblemDetails body (not at the
    /// edge, which must pass upstream answers through untouched).</param>
    public static WebApplication UseOAuthServiceDefaults(this WebApplication app, bool problemStatusPages = true)
    {
        // Before anything believes a header: with internal TLS, plain text reaches only health checks.
        app.Services.GetRequiredService<InternalTls>().RestrictPlainText(app);
        app.UseEdgeForwardedHeaders();
        // Unhandled failures become ProblemDetails, never an HTML page or a stack trace.
        app.UseExceptionHandler();
        if (problemStatusPages)
        {
            app.UseStatusCodePages();
        }

        app.MapDefaultEndpoints();
        app.MapAdminOpenApi();
        return app;
    }
}
