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

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// A client's own key infrastructure, in the test process: RSA keys it signs assertions with and a
/// JWKS URL (plain http on loopback) it publishes them at; keys can be rotated at any time.
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

    public int Fetches;

    public static async Task<TestKeyServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestKeyServer(app, NewKey());
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref server.Fetches);
            return Results.Json(new { keys = server._published.Select(Public) });
        });
        await app.StartAsync();
        server.JwksUri = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/jwks";
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
