using OAuthAspire.FederationTrust.SignIn;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.FederationTrust.Users;
using OAuthAspire.FederationTrust.Validation;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.ServiceDefaults.Security;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.FederationTrust;

public static class FederationTrustServices
{
    public static WebApplicationBuilder AddFederationTrustServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("federationtrustdb", typeof(FederationTrustServices).Assembly, sharedConsumers: [typeof(ClientTrustsConsumer)], invalidations: [.. TrustCatalog.InvalidatedBy, .. ProviderIntrospection.InvalidatedBy]);
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddInternalGrpcClient<DirectoryClient>(ServiceNames.Directory);
        builder.Services.AddInternalGrpcClient<ScopePolicyClient>(ServiceNames.ScopePolicy);
        builder.Services.AddSingleton(TimeProvider.System);
        RemoteKeySets.AddRemoteKeySets(builder.Services);
        builder.Services.AddSingleton<TrustStore>();
        builder.Services.AddSingleton<ClientUseView>();
        builder.Services.AddSingleton<TrustCatalog>();
        builder.Services.AddSingleton<ProviderKeys>();
        builder.Services.AddSingleton<ProviderSecrets>();
        builder.Services.AddSingleton<ProviderCalls>();
        builder.Services.AddSingleton<ProviderIntrospection>();
        builder.Services.AddSingleton<BrokerAttempts>();
        builder.Services.AddSingleton<ProviderSignIns>();
        builder.Services.AddSingleton<UserMapping>();
        builder.Services.AddSingleton<ExternalTokenValidation>();
        builder.Services.AddHostedService<FederationHousekeeping>();
        return builder;
    }

    public static WebApplication MapFederationTrustEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapTrustAdminEndpoints();
        app.MapGrpcService<FederationTrustGrpcService>();
        return app;
    }
}
