using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Microsoft.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

// OpenIddict's minimal client-credentials server, configured as the comparison asks:
// usage: OpenIddictPeer --urls http://127.0.0.1:PORT --Peer:Postgres "<connection string>" --Peer:Storage on|off
var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders();
var storage = builder.Configuration["Peer:Storage"] != "off";
builder.Services.AddDbContext<DbContext>(o => o.UseNpgsql(builder.Configuration["Peer:Postgres"]).UseOpenIddict());
builder.Services.AddOpenIddict()
    .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<DbContext>())
    .AddServer(o =>
    {
        o.SetTokenEndpointUris("connect/token");
        o.AllowClientCredentialsFlow();
        // Like ours: a 2048-bit RSA key (its development certificate would be 4096), tokens not encrypted.
        o.AddSigningKey(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "bench" });
        o.AddEphemeralEncryptionKey();
        o.DisableAccessTokenEncryption();
        if (!storage)
        {
            o.DisableTokenStorage();
        }

        o.UseAspNetCore().EnableTokenEndpointPassthrough().DisableTransportSecurityRequirement();
    });

var app = builder.Build();
await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<DbContext>().Database.EnsureCreatedAsync();
    var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
    if (await applications.FindByClientIdAsync("bench-client") is null)
    {
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = "bench-client",
            ClientSecret = "bench-secret-0123456789abcdef0123456789abcdef",
            Permissions = { OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials },
        });
    }
}

app.MapPost("/connect/token", (HttpContext context) =>
{
    var request = context.GetOpenIddictServerRequest()!;
    var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
    identity.SetClaim(Claims.Subject, request.ClientId);
    identity.SetDestinations(_ => [Destinations.AccessToken]);
    return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
});
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine("openiddict ready"));
await app.RunAsync();
