using System.Reflection;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OAuthAspire.Protocol;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Messaging;

namespace OAuthAspire.ServiceDefaults;

/// <summary>The ground every OAuthAspire service stands on, in one call.</summary>
public static class OAuthService
{
    /// <summary>
    /// Service defaults, the issuer, the service's own database (migrated from the embedded
    /// <c>Migrations/*.sql</c> of <paramref name="serviceAssembly"/>), the bus and the audit outbox.
    /// </summary>
    public static TBuilder AddOAuthService<TBuilder>(this TBuilder builder, string connectionName, Assembly serviceAssembly,
        Action<IBusRegistrationConfigurator>? consumers = null) where TBuilder : IHostApplicationBuilder
    {
        builder.AddServiceDefaults();
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"],
            allowHttpLoopback: builder.Environment.IsDevelopment()));
        builder.AddServiceDatabase(connectionName, serviceAssembly);
        builder.AddAuditedBus(consumers);
        return builder;
    }

    /// <summary>Edge trust first (it sets the client address everything else sees), then health.</summary>
    public static WebApplication UseOAuthServiceDefaults(this WebApplication app)
    {
        app.UseEdgeForwardedHeaders();
        app.MapDefaultEndpoints();
        return app;
    }
}
