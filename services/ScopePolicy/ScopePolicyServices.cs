using OAuthAspire.ScopePolicy.Scopes;
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
        return builder;
    }

    public static WebApplication MapScopePolicyEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapGrpcService<ScopePolicyGrpcService>();
        return app;
    }
}
