using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.Token.Discovery;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token;

public static class TokenServices
{
    public static WebApplicationBuilder AddTokenServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("tokendb", typeof(TokenServices).Assembly);
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddInternalGrpcClient<Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient>("scope-policy");
        return builder;
    }

    public static WebApplication MapTokenEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapDiscoveryEndpoints();
        app.MapGrpcService<TokenIssuerGrpcService>();
        return app;
    }
}
