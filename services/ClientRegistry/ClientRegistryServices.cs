using Microsoft.Extensions.DependencyInjection.Extensions;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.ClientRegistry.Registration;
using OAuthAspire.Protocol;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.ClientRegistry;

public static class ClientRegistryServices
{
    public static WebApplicationBuilder AddClientRegistryServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("clientregistrydb", typeof(ClientRegistryServices).Assembly, sharedConsumers: [typeof(ClientFirstUsedConsumer)]);
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddInternalGrpcClient<ScopePolicyClient>(ServiceNames.ScopePolicy);
        builder.Services.AddInternalGrpcClient<DirectoryClient>(ServiceNames.Directory);
        builder.Services.AddInternalGrpcClient<FederationTrustClient>(ServiceNames.FederationTrust);
        builder.Services.AddSingleton<ClientStore>();
        builder.Services.AddScoped<ClientValidator>();
        builder.Services.AddScoped<ClientWrites>();
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"], allowHttpLoopback: builder.Environment.IsDevelopment()));
        builder.Services.AddSingleton(RegistrationSettings.From(builder.Configuration));
        builder.Services.AddSingleton<RegistrationPolicies>();
        builder.Services.AddSingleton<InitialAccessTokens>();
        builder.Services.AddSingleton<Registrations>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<MetadataDocuments>();
        builder.Services.AddSingleton<IClientResolver>(sp => sp.GetRequiredService<MetadataDocuments>());
        builder.Services.AddHostedService<UnusedClientExpiry>();
        // Transient: the bootstrap client (a singleton) claims its scopes too.
        builder.Services.AddTransient<UseClaims>();
        builder.Services.AddSingleton<UseViewBackfill>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UseViewBackfill>());
        builder.Services.AddSingleton<SharedKeyProtector>();
        builder.Services.AddSingleton<BootstrapClient>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BootstrapClient>());
        builder.Services.AddHealthChecks().AddStartupWork<BootstrapClient>("bootstrap-client").AddStartupWork<UseViewBackfill>("client-use-views");
        return builder;
    }

    public static WebApplication MapClientRegistryEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapClientAdminEndpoints();
        app.MapRegistrationPolicyAdminEndpoints();
        app.MapInitialAccessTokenAdminEndpoints();
        app.MapRegistrationEndpoints();
        app.MapGrpcService<ClientRegistryGrpcService>();
        return app;
    }
}
