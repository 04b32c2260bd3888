using OAuthAspire.Authorize.Users;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.Authorize;

public static class AuthorizeServices
{
    public static WebApplicationBuilder AddAuthorizeServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("authorizedb", typeof(AuthorizeServices).Assembly);
        builder.Services.AddInternalGrpcServer();
        return builder;
    }

    public static WebApplication MapAuthorizeEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapGrpcService<DirectoryGrpcService>();
        return app;
    }
}
