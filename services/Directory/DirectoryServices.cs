using OAuthAspire.Directory.Users;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.Directory;

public static class DirectoryServices
{
    public static WebApplicationBuilder AddDirectoryServices(this WebApplicationBuilder builder)
    {
        // A leaf: calls no other service and consumes no event. Those that keep something per user
        // (authorize's sessions and consents, token's refresh families) follow its user events.
        builder.AddOAuthService("directorydb", typeof(DirectoryServices).Assembly);
        // Admin JSON is small: the limit the edge applies to this service (EdgeRoutes.SmallBodyLimit).
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = 64 * 1024);

        var services = builder.Services;
        services.AddInternalGrpcServer();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<LockoutOptions>().BindConfiguration("Lockout");
        services.AddSingleton<UserStore>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<LoginFailures>();
        services.AddSingleton<PasswordVerifier>();
        services.AddSingleton<PasswordChanges>();
        services.AddSingleton<UserImport>();
        services.AddSingleton<AdminBootstrap>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminBootstrap>());
        services.AddHealthChecks().AddStartupWork<AdminBootstrap>("bootstrap-admin");
        services.AddHostedService<DirectoryHousekeeping>();
        return builder;
    }

    public static WebApplication MapDirectoryEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapUserAdminEndpoints();
        app.MapGrpcService<DirectoryGrpcService>();
        return app;
    }
}
