using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.FederationTrust;

public static class FederationTrustServices
{
    public static WebApplicationBuilder AddFederationTrustServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("federationtrustdb", typeof(FederationTrustServices).Assembly);
        builder.Services.AddInternalGrpcServer();
        return builder;
    }

    public static WebApplication MapFederationTrustEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapGrpcService<FederationTrustGrpcService>();
        return app;
    }
}
