using OAuthAspire.Protocol;
using OAuthAspire.ScopePolicy.Policies;
using OAuthAspire.ScopePolicy.Scopes;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.ScopePolicy;

public static class ScopePolicyServices
{
    public static WebApplicationBuilder AddScopePolicyServices(this WebApplicationBuilder builder)
    {
        // Calls no other service: which clients use a scope comes from client-registry's claims and events.
        builder.AddOAuthService("scopepolicydb", typeof(ScopePolicyServices).Assembly, sharedConsumers: [typeof(ClientScopesConsumer)]);
        builder.Services.AddInternalGrpcServer();
        builder.Services.AddSingleton<ScopeStore>();
        builder.Services.AddSingleton<PolicyStore>();
        // API policies' default resource identifiers are URLs under the issuer (RFC 8707).
        builder.Services.AddSingleton(Issuer.Create(builder.Configuration["OAuth:Issuer"], allowHttpLoopback: builder.Environment.IsDevelopment()));
        builder.Services.AddSingleton<ClientUseView>();
        return builder;
    }

    public static WebApplication MapScopePolicyEndpoints(this WebApplication app)
    {
        app.UseOAuthServiceDefaults();
        app.MapScopeAdminEndpoints();
        app.MapPolicyAdminEndpoints();
        app.MapGrpcService<ScopePolicyGrpcService>();
        return app;
    }
}
