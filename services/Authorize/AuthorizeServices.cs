using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Authorize.Account;
using OAuthAspire.Authorize.Authorization;
using OAuthAspire.Authorize.Clients;
using OAuthAspire.Authorize.Consents;
using OAuthAspire.Authorize.OpenIdConnect;
using OAuthAspire.Authorize.Pages;
using OAuthAspire.Authorize.Scopes;
using OAuthAspire.Authorize.Security;
using OAuthAspire.Authorize.Sessions;
using OAuthAspire.Authorize.Users;
using OAuthAspire.Protocol;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.ServiceDefaults.Security;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Authorize;

public static class AuthorizeServices
{
    public static WebApplicationBuilder AddAuthorizeServices(this WebApplicationBuilder builder)
    {
        // The directory's user events end what this service keeps per user (once per event: shared queues).
        builder.AddOAuthService("authorizedb", typeof(AuthorizeServices).Assembly, [typeof(JwksRotatedConsumer)],
            sharedConsumers: [typeof(UserDeletedConsumer), typeof(PasswordChangedConsumer)],
            invalidations: [.. RegisteredClients.InvalidatedBy, .. ScopeCatalog.InvalidatedBy, .. ApiResourceCatalog.InvalidatedBy, .. SignInProviders.InvalidatedBy]);
        // The protocol's issuer, validated once at start (https, or http on loopback in development).
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"], allowHttpLoopback: builder.Environment.IsDevelopment()));
        var services = builder.Services;
        services.AddInternalGrpcServer();
        services.AddInternalGrpcClient<ClientRegistryClient>(ServiceNames.ClientRegistry);
        services.AddInternalGrpcClient<ScopePolicyClient>(ServiceNames.ScopePolicy);
        services.AddInternalGrpcClient<TokenIssuerClient>(ServiceNames.Token);
        services.AddInternalGrpcClient<DirectoryClient>(ServiceNames.Directory);
        services.AddInternalGrpcClient<FederationTrustClient>(ServiceNames.FederationTrust);
        services.AddSharedDataProtection(builder.Configuration);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "oauthaspire_af";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o =>
        {
            o.ValueCountLimit = 64;
            o.ValueLengthLimit = 16 * 1024;
        });
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = 64 * 1024);

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<LoginSessionOptions>().BindConfiguration("Sessions");
        services.AddOptions<AuthorizeOptions>().BindConfiguration("Authorize");
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<LegacyUserImport>();
        services.AddHostedService(sp => sp.GetRequiredService<LegacyUserImport>());
        services.AddHealthChecks().AddStartupWork<LegacyUserImport>("legacy-users");
        services.AddSingleton<RegisteredClients>();
        services.AddSingleton<RequestReader>();
        services.AddSingleton<ScopeCatalog>();
        services.AddSingleton<ApiPolicySource>(sp => sp.GetRequiredService<ScopePolicyClient>().ListPoliciesAsync);
        services.AddSingleton<ApiResourceCatalog>();
        services.AddSingleton<Sessions.Sessions>();
        services.AddSingleton<ConsentStore>();
        services.AddSingleton<PendingAuthorizations>();
        services.AddSingleton(sp => DeviceGuessSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<DeviceGuessLimits>();
        services.AddSingleton<AuthorizationFlow>();
        services.AddSingleton<IdTokenHints>();
        services.AddSingleton<SignInProviders>();
        JwksCache.AddJwksCache(services, ServiceNames.Token, MetadataBuilder.Paths.Jwks);
        services.AddSingleton<AuthorizeEndpoint>();
        services.AddScoped<AccountVisit>();
        services.AddHostedService<AuthorizeHousekeeping>();
        return builder;
    }

    public static WebApplication MapAuthorizeEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.UsePageHeaders();
        AuthorizeEndpoint.Map(app);
        app.MapLoginEndpoints();
        app.MapFederatedLoginEndpoints();
        app.MapConsentEndpoints();
        app.MapDeviceEndpoints();
        app.MapLogoutEndpoints();
        app.MapConsentAdminEndpoints();
        app.MapAccountEndpoints();
        return app;
    }
}
