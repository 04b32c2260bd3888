using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.ServiceDefaults.Security;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Clients;
using OAuthAspire.Token.Discovery;
using OAuthAspire.Token.Device;
using OAuthAspire.Token.Dpop;
using OAuthAspire.Token.Endpoints;
using OAuthAspire.Token.Grants;
using OAuthAspire.Token.Inventory;
using OAuthAspire.Token.Issuance;
using OAuthAspire.Token.Keys;
using OAuthAspire.Token.OpenIdConnect;
using OAuthAspire.Token.Scopes;
using OAuthAspire.Token.Users;
using OAuthAspire.Token.Mtls;
using OAuthAspire.Token.Par;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using OAuthAspire.Contracts.Grpc.ScopePolicy;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;

namespace OAuthAspire.Token;

public static class TokenServices
{
    public static WebApplicationBuilder AddTokenServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("tokendb", typeof(TokenServices).Assembly,
            [typeof(KeyRotatedConsumer)], [typeof(GrantWithdrawnConsumer), typeof(TokensCutOffConsumer), typeof(PasswordChangedConsumer)],
            [.. RegisteredClients.InvalidatedBy, .. VerifierKeys.InvalidatedBy, .. UserDirectory.InvalidatedBy, .. ScopeResolver.InvalidatedBy, .. ApiResourceCatalog.InvalidatedBy]);
        // The protocol's issuer, validated once at start (https, or http on loopback in development).
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"], allowHttpLoopback: builder.Environment.IsDevelopment()));
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddInternalGrpcClient<ScopePolicyClient>(ServiceNames.ScopePolicy);
        builder.Services.AddInternalGrpcClient<ClientRegistryClient>(ServiceNames.ClientRegistry);
        builder.Services.AddInternalGrpcClient<DirectoryClient>(ServiceNames.Directory);
        builder.Services.AddInternalGrpcClient<FederationTrustClient>(ServiceNames.FederationTrust);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o =>
        {
            o.ValueCountLimit = 64;
            o.KeyLengthLimit = 256;
            o.ValueLengthLimit = 16 * 1024;
        });
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = 64 * 1024);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => TokenSettings.From(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<Issuer>()));
        services.AddOptions<KeyOptions>().BindConfiguration("Keys")
            .Validate(o => SigningAlgorithms.IsSupported(o.Algorithm), $"Keys:Algorithm must be one of {string.Join(", ", SigningAlgorithms.Supported)}.")
            .ValidateOnStart();
        services.AddSingleton<KeyEncryption>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<KeyMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyMaintenance>());
        services.AddSingleton<RegisteredClients>();
        services.AddSingleton<ClientFirstUse>();
        services.AddSingleton<UserDirectory>();
        services.AddSingleton<ScopeResolver>();
        services.AddSingleton<ApiPolicySource>(sp => sp.GetRequiredService<ScopePolicyClient>().ListPoliciesAsync);
        services.AddSingleton<ApiResourceCatalog>();
        services.AddSingleton<TokenTargets>();
        services.AddSingleton<IssuanceBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<IssuanceBatcher>());
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<RevocationStore>();
        services.AddSingleton<TokenInventory>();
        services.AddSingleton<TokenRevocations>();
        services.AddSingleton<CutOffStore>();
        services.AddSingleton<ClientLastUse>();
        services.AddHostedService<TokenHousekeeping>();
        services.AddSingleton<TokenInspection>();
        services.AddSingleton<ClientCredentialsGrant>();
        services.AddSingleton<AuthorizationCodes>();
        services.AddSingleton<AuthorizationCodeGrant>();
        services.AddSingleton<IdTokenIssuer>();
        services.AddOptions<RefreshOptions>().BindConfiguration("Refresh");
        services.AddSingleton<RefreshTokenStore>();
        services.AddSingleton<RefreshTokenGrant>();
        services.AddSingleton<PasswordGrant>();
        services.AddSingleton<JwtBearerGrant>();
        services.AddSingleton<TokenExchangeGrant>();
        services.AddSingleton(sp => DeviceSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<DeviceAuthorizations>();
        services.AddSingleton<DeviceCodeGrant>();
        services.AddSingleton<DeviceAuthorizationEndpoint>();
        services.AddSingleton<JtiStore>();
        services.AddHostedService(sp => sp.GetRequiredService<JtiStore>());
        services.AddSingleton<VerifierKeys>();
        services.AddSingleton<ClientAssertions>();
        // Read now: a bad file or URL stops the start instead of failing every request.
        var clientAuthorities = ClientCertificates.LoadAuthorities(builder.Configuration);
        services.AddSingleton(sp => new ClientCertificates(clientAuthorities, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(MtlsListener.From(builder.Configuration));
        RemoteKeySets.AddRemoteKeySets(services);
        services.AddSingleton<ImplicitIssuance>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddOptions<DpopOptions>().BindConfiguration("Dpop").Validate(o => o.IsValid, DpopOptions.Invalid).ValidateOnStart();
        services.AddSingleton<TokenDpop>();
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<IntrospectionEndpoint>();
        services.AddSingleton<RevocationEndpoint>();
        services.AddSingleton<PushedRequests>();
        services.AddSingleton<RequestObjects>();
        services.AddSingleton<PushedAuthorizationEndpoint>();
        return builder;
    }

    public static WebApplication MapTokenEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapDiscoveryEndpoints();
        app.MapKeyEndpoints();
        app.MapTokenAdminEndpoints();
        TokenEndpoint.Map(app);
        IntrospectionEndpoint.Map(app);
        RevocationEndpoint.Map(app);
        PushedAuthorizationEndpoint.Map(app);
        DeviceAuthorizationEndpoint.Map(app);
        UserInfoEndpoint.Map(app);
        app.MapGrpcService<TokenIssuerGrpcService>();
        return app;
    }
}
