using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Testing;

/// <summary>
/// Someone else's key infrastructure, in the test process: a client's (RSA keys it signs
/// assertions with, published at a JWKS URL) or an external OpenID provider's (the same, plus its
/// metadata document naming it as issuer). Plain http on loopback; keys can be rotated at any time
/// and the whole server can go down (every request then fails).
/// </summary>
public sealed class TestKeyServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile RsaSecurityKey[] _published;

    private TestKeyServer(WebApplication app, RsaSecurityKey key)
    {
        _app = app;
        Current = key;
        _published = [key];
    }

    public RsaSecurityKey Current { get; private set; }

    public string JwksUri { get; private set; } = "";

    /// <summary>Its base URL: the issuer, when it plays an OpenID provider.</summary>
    public string Issuer { get; private set; } = "";

    public string MetadataUrl => Issuer + "/.well-known/openid-configuration";

    /// <summary>While true, every request is answered 503 (the provider is down).</summary>
    public bool Down { get; set; }

    public int Fetches;

    public static async Task<TestKeyServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestKeyServer(app, NewKey());
        app.Use((context, next) =>
        {
            if (server.Down)
            {
                context.Response.StatusCode = 503;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new
        {
            issuer = server.Issuer,
            jwks_uri = server.JwksUri,
            authorization_endpoint = server.Issuer + "/authorize",
            response_types_supported = new[] { "code" },
            subject_types_supported = new[] { "public" },
            id_token_signing_alg_values_supported = new[] { "RS256" },
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref server.Fetches);
            return Results.Json(new { keys = server._published.Select(Public) });
        });
        await app.StartAsync();
        server.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.JwksUri = server.Issuer + "/jwks";
        return server;
    }

    /// <summary>Publishes a new key and signs with it from now on (the old one is withdrawn).</summary>
    public void Rotate()
    {
        Current = NewKey();
        _published = [Current];
    }

    public string Sign(Dictionary<string, object> claims, SecurityKey? key = null, string alg = SecurityAlgorithms.RsaSha256) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? Current, alg),
        });

    /// <summary>A typical assertion: iss = client, the given sub and aud, five minutes, a fresh jti.</summary>
    public static Dictionary<string, object> Claims(string clientId, string subject, object audience) => new()
    {
        ["iss"] = clientId,
        ["sub"] = subject,
        ["aud"] = audience,
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    /// <summary>An ID token of this provider for one of its clients: sub, aud, an hour of life, a fresh jti.</summary>
    public Dictionary<string, object> IdTokenClaims(string subject, object audience) => new()
    {
        ["iss"] = Issuer,
        ["sub"] = subject,
        ["aud"] = audience,
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    /// <summary>A self-signed certificate for a key, as PEM: the other way to register a verifier key.</summary>
    public static (RsaSecurityKey Key, string CertificatePem) NewCertificate()
    {
        var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=jwt-client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (new RsaSecurityKey(rsa) { KeyId = "cert-1" }, certificate.ExportCertificatePem());
    }

    private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N")[..12] };

    private static object Public(RsaSecurityKey key)
    {
        var p = key.Rsa.ExportParameters(false);
        return new { kty = "RSA", use = "sig", alg = "RS256", kid = key.KeyId, n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
