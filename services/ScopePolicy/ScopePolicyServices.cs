using OAuthAspire.ScopePolicy.Policies;
using OAuthAspire.ScopePolicy.Scopes;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ScopePolicy;

public static class ScopePolicyServices
{
    public static WebApplicationBuilder AddScopePolicyServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("scopepolicydb", typeof(ScopePolicyServices).Assembly);
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddSingleton<ScopeStore>();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddInternalGrpcClient<ClientRegistryClient>(ServiceNames.ClientRegistry);
        return builder;
    }

    public static WebApplication MapScopePolicyEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapScopeAdminEndpoints();
        app.MapPolicyAdminEndpoints();
        app.MapGrpcService<ScopePolicyGrpcService>();
        return app;
    }
}
