using OAuthAspire.Edge.Proxy;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Edge;

public static class EdgeServices
{
    public static WebApplicationBuilder AddEdgeServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("edgedb", typeof(EdgeServices).Assembly);
        builder.Services.AddEdgeRoutes();
        return builder;
    }

    public static WebApplication MapEdgeEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapReverseProxy();
        return app;
    }
}
