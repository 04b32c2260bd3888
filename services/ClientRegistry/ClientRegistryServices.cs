using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ClientRegistry;

public static class ClientRegistryServices
{
    public static WebApplicationBuilder AddClientRegistryServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("clientregistrydb", typeof(ClientRegistryServices).Assembly);
        builder.Services.AddInternalGrpcServer();
        return builder;
    }

    public static WebApplication MapClientRegistryEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapGrpcService<ClientRegistryGrpcService>();
        return app;
    }
}
