using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Edge.Discovery;
using OAuthAspire.Edge.Proxy;
using OAuthAspire.Edge.Security;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Dpop;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.ServiceDefaults.Security;
using ClientRegistryClient = OAuthAspire.Contracts.Grpc.ClientRegistry.ClientRegistry.ClientRegistryClient;
using FederationTrustClient = OAuthAspire.Contracts.Grpc.FederationTrust.FederationTrust.FederationTrustClient;
using ScopePolicyClient = OAuthAspire.Contracts.Grpc.ScopePolicy.ScopePolicy.ScopePolicyClient;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Edge;

public static class EdgeServices
{
    public static WebApplicationBuilder AddEdgeServices(this WebApplicationBuilder builder)
    {
        builder.AddOAuthService("edgedb", typeof(EdgeServices).Assembly,
            [typeof(TokenRevokedConsumer), typeof(ApiPolicyChangedConsumer), typeof(JwksRotatedConsumer), typeof(CorsOriginsChangedConsumer)],
            invalidations: [.. ClientStatus.InvalidatedBy, .. FederatedTokens.InvalidatedBy]);
        // The protocol's issuer, validated once at start (https, or http on loopback in development).
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"], allowHttpLoopback: builder.Environment.IsDevelopment()));
        builder.Services.AddEdgeRoutes(new InternalTls(builder.Configuration)).AddTransforms(CorsGate.DropUpstreamHeaders);
        builder.Services.AddInternalGrpcClient<TokenIssuerClient>(ServiceNames.Token);
        builder.Services.AddInternalGrpcClient<ClientRegistryClient>(ServiceNames.ClientRegistry);
        builder.Services.AddInternalGrpcClient<ScopePolicyClient>(ServiceNames.ScopePolicy);
        builder.Services.AddInternalGrpcClient<FederationTrustClient>(ServiceNames.FederationTrust);
        JwksCache.AddJwksCache(builder.Services, ServiceNames.Token, MetadataBuilder.Paths.Jwks);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => EdgeSettings.From(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<Issuer>()));
        builder.Services.AddSingleton<RevocationList>();
        builder.Services.AddSingleton<CutOffs>();
        builder.Services.AddSingleton(new ValidatedTokens());
        builder.Services.AddSingleton<ClientStatus>();
        builder.Services.AddSingleton<ApiPolicySnapshot>();
        builder.Services.AddSingleton<CorsOrigins>();
        builder.Services.AddSingleton<FederatedTokens>();
        // The API gate's parts: token admission, the policy decision, the refusals.
        builder.Services.AddSingleton<TokenAdmission>();
        builder.Services.AddSingleton<ApiAccessDecider>();
        builder.Services.AddSingleton<ApiRefusals>();
        builder.Services.AddOptions<DpopOptions>().BindConfiguration("Dpop").Validate(o => o.IsValid, DpopOptions.Invalid).ValidateOnStart();
        builder.Services.AddSingleton<EdgeDpop>();
        builder.Services.AddSingleton(sp => new IdentityAssertionSigner(sp.GetRequiredService<ServiceTokenSigner>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<RevocationSnapshot>();
        AdminApiDocument.AddClients(builder.Services);
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimits");
        builder.Services.AddSingleton<RateLimits>();
        // The public origin reads little: bodies up to 1 MB (OAuth forms are limited further behind
        // it), forms it reads itself (for rate limits) small.
        builder.WebHost.ConfigureKestrel(o =>
        {
            // Only the mutual-TLS listener asks for a certificate (Kestrel:Endpoints:mtls:ClientCertificateMode).
            // Any is accepted there: self-signed ones are registered with their client, and whether a
            // certificate authenticates a client or matches a token is decided per request (RFC 8705 §2, §3).
            o.ConfigureHttpsDefaults(https => https.ClientCertificateValidation = (_, _, _) => true);
            o.Limits.MaxRequestBodySize = 1024 * 1024;
            o.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            o.Limits.MaxRequestLineSize = 16 * 1024;
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o =>
        {
            o.ValueCountLimit = 256;
            o.KeyLengthLimit = 2 * 1024;
            o.ValueLengthLimit = 16 * 1024;
            o.MultipartBodyLengthLimit = 64 * 1024;
        });
        return builder;
    }

    public static WebApplication MapEdgeEndpoints(this WebApplication app)
    {
        // First: the caller's certificate, told from a proxy's by the connection's own address; then
        // everything after (limits, audit) sees the real caller's address.
        app.UseClientCertificates(app.Configuration);
        app.UseTrustedProxies(app.Configuration);
        app.UseOAuthServiceDefaults(problemStatusPages: false);
        app.UseSecurityHeaders(new Uri(app.Services.GetRequiredService<Issuer>().Value), app.Environment.IsDevelopment());
        app.UseMiddleware<ApiHostGate>();
        // Before the limits: their refusals carry the CORS answer too, and preflights are not counted.
        app.UseMiddleware<CorsGate>();
        app.UseMiddleware<RateLimitGate>();
        app.UseMiddleware<ApiGate>();
        app.MapProtectedResourceMetadata();
        app.MapAuditSchemas();
        app.MapAdminApiDocs();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(ProxyErrors.HandleAsync);
            proxy.Use(BodyLimits.EnforceAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }
}
