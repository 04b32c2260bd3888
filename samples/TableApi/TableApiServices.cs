using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Samples.TableApi;

public static class TableApiServices
{
    private const string ApiScheme = "api";

    /// <summary>
    /// Defence in depth: besides the edge's checks, the API validates the bearer token itself with
    /// the standard JwtBearer handler, configured from the issuer's metadata and our audience.
    /// </summary>
    public static WebApplicationBuilder AddTableApiServices(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddServiceDatabase("tableapidb", typeof(TableApiServices).Assembly);
        var issuer = builder.Configuration["OAuth:Issuer"] ?? throw new InvalidOperationException("OAuth:Issuer is required.");
        // Our tokens are checked here again; a trusted provider's token was checked and mapped by
        // the edge (federation-trust), which states the identity in an assertion signed with its
        // key: believed for those calls only, checked with the edge's public key (the API holds no
        // secret of the system, and no header alone is believed).
        builder.Services.AddAuthentication(ApiScheme)
            .AddPolicyScheme(ApiScheme, "Our tokens, or a trusted provider's through the edge", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(IdentityAssertion.Header) ? EdgeIdentityHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, EdgeIdentityHandler>(EdgeIdentityHandler.SchemeName, null)
            .AddJwtBearer(o =>
            {
                o.MetadataAddress = issuer + "/.well-known/openid-configuration";
                o.RequireHttpsMetadata = issuer.StartsWith("https://", StringComparison.Ordinal);
                o.MapInboundClaims = false;
                // Inside the system: a rotation is published minutes ahead, but an administrator may
                // activate a key at once; refetch the keys on an unknown kid after 10 s, not 5 min.
                o.RefreshInterval = TimeSpan.FromSeconds(10);
                // Its audiences: the issuer's default one, and the resource identifier (RFC 8707) of any
                // table API it serves, {issuer}/api/now/table/...; which table a token is for, the edge checked.
                var defaultAudience = builder.Configuration["OAuth:Audience"] is { Length: > 0 } audience ? audience : issuer + "/api";
                var tables = issuer + "/api/now/table";
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = issuer,
                    AudienceValidator = (audiences, _, _) =>
                        audiences.Any(a => a == defaultAudience || a == tables || a.StartsWith(tables + "/", StringComparison.Ordinal)),
                    ValidTypes = ["at+jwt"],
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                // A bound token (DPoP, RFC 9449; a client certificate, RFC 8705) is good only with its
                // proof, which the edge checks and states in its assertion: sent here directly, it is refused.
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        if (context.Principal?.HasClaim(c => c.Type == "cnf") == true)
                        {
                            context.Fail("A bound access token needs its proof of possession, checked by the edge.");
                        }

                        return Task.CompletedTask;
                    },
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }

    public static WebApplication MapTableApi(this WebApplication app)
    {
        // The edge sends the APIs no proof of its own, so forwarded headers are dropped here: the
        // API sees the address that connected to it.
        app.UseEdgeForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // No gate on where a call comes from: every call is authenticated by what it carries (a
        // token of ours, or the edge's signed assertion), which a direct caller cannot forge.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDefaultEndpoints();
        app.MapTableEndpoints();
        app.MapIdentityEndpoint();
        app.MapHostileEndpoint();
        return app;
    }
}
