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
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<LockoutOptions>().BindConfiguration("Lockout");
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddSingleton<Passwords>();
        builder.Services.AddSingleton<PasswordVerifier>();
        builder.Services.AddHostedService<AdminBootstrap>();
        return builder;
    }

    public static WebApplication MapAuthorizeEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapUserAdminEndpoints();
        app.MapGrpcService<DirectoryGrpcService>();
        return app;
    }
}
