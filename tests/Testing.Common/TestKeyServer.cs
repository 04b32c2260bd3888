using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
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
/// and the whole server can go down (every request then fails). As a provider it also hands out
/// opaque access tokens and answers for them at its RFC 7662 introspection endpoint, to
/// <see cref="OurClientId"/> with <see cref="OurClientSecret"/> (basic or post) only; and it signs
/// users in for that client (code flow, PKCE S256, nonce): its authorization endpoint signs in
/// <see cref="SignedIn"/> at once and answers the redirect URI with a code, its token endpoint
/// redeems the code for an ID token. Knobs make it answer an error, omit or change iss, or sign
/// another nonce.
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

    /// <summary>Calls its introspection endpoint answered (with any answer but 401).</summary>
    public int Introspections;

    public string OurClientId { get; } = "introspector";

    public string OurClientSecret { get; } = "s3cret:with&odd=chars " + Guid.NewGuid().ToString("N");

    public string IntrospectionEndpoint => Issuer + "/introspect";

    private readonly ConcurrentDictionary<string, Dictionary<string, object>> _opaque = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string RedirectUri, string Challenge, string Nonce, string Subject)> _codes = new(StringComparer.Ordinal);

    /// <summary>Who is signed in at the provider (its sub); null: the authorization endpoint answers login_required.</summary>
    public string? SignedIn { get; set; }

    /// <summary>Claims added to the ID tokens it issues (email, amr...).</summary>
    public Dictionary<string, object> SignInClaims { get; } = [];

    /// <summary>When set, the authorization endpoint answers this error instead of a code.</summary>
    public string? AuthorizeError { get; set; }

    /// <summary>The iss its authorization responses carry (RFC 9207): its own by default; null omits it.</summary>
    public string? ResponseIssuer { get; set; } = "";

    /// <summary>When set, ID tokens carry this nonce instead of the one asked for.</summary>
    public string? NonceOverride { get; set; }

    /// <summary>The last authorization request's query, as received.</summary>
    public IQueryCollection? LastAuthorization { get; private set; }

    public int CodesRedeemed;

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
            introspection_endpoint = server.IntrospectionEndpoint,
            token_endpoint = server.Issuer + "/token",
            authorization_response_iss_parameter_supported = true,
            response_types_supported = new[] { "code" },
            subject_types_supported = new[] { "public" },
            id_token_signing_alg_values_supported = new[] { "RS256" },
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref server.Fetches);
            return Results.Json(new { keys = server._published.Select(Public) });
        });
        app.MapPost("/introspect", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            if (!server.Authenticated(context.Request.Headers.Authorization.ToString(), form))
            {
                // RFC 6749 §5.2: 401 when the client authenticated by header, else 400 may do.
                return Results.Json(new { error = "invalid_client" }, statusCode: form.ContainsKey("client_secret") ? 400 : 401);
            }

            Interlocked.Increment(ref server.Introspections);
            return server._opaque.TryGetValue(form["token"].ToString(), out var claims) && (long)claims["exp"] > DateTimeOffset.UtcNow.ToUnixTimeSeconds()
                ? Results.Json(new Dictionary<string, object>(claims) { ["active"] = true })
                : Results.Json(new { active = false });
        });
        app.MapGet("/authorize", (HttpContext context) => server.Authorize(context.Request.Query));
        app.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            return server.Authenticated(context.Request.Headers.Authorization.ToString(), form)
                ? server.Redeem(form)
                : Results.Json(new { error = "invalid_client" }, statusCode: 401);
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

    /// <summary>
    /// An opaque access token for one of its clients (as <c>client_id</c>, and <c>aud</c> unless given):
    /// the prefix, then random characters; its claims as the introspection endpoint will state them.
    /// </summary>
    public string IssueOpaque(string prefix, string subject, string clientId, Action<Dictionary<string, object>>? change = null)
    {
        var token = prefix + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer, ["sub"] = subject, ["client_id"] = clientId, ["aud"] = clientId, ["token_type"] = "Bearer", ["scope"] = "api",
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        };
        change?.Invoke(claims);
        _opaque[token] = claims;
        return token;
    }

    private IResult Authorize(IQueryCollection query)
    {
        LastAuthorization = query;
        var redirectUri = query["redirect_uri"].ToString();
        if (query["client_id"] != OurClientId || query["response_type"] != "code" || query["code_challenge_method"] != "S256")
        {
            return Results.BadRequest("not our client, not the code flow, or no S256 challenge");
        }

        var issuer = ResponseIssuer == "" ? Issuer : ResponseIssuer;
        var answer = new List<string> { $"state={Uri.EscapeDataString(query["state"].ToString())}" };
        if (issuer is not null)
        {
            answer.Add($"iss={Uri.EscapeDataString(issuer)}");
        }

        if (AuthorizeError is not null || SignedIn is null)
        {
            answer.Add($"error={Uri.EscapeDataString(AuthorizeError ?? "login_required")}");
        }
        else
        {
            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            _codes[code] = (redirectUri, query["code_challenge"].ToString(), query["nonce"].ToString(), SignedIn);
            answer.Add($"code={code}");
        }

        return Results.Redirect(redirectUri + (redirectUri.Contains('?') ? "&" : "?") + string.Join('&', answer));
    }

    private IResult Redeem(IFormCollection form)
    {
        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var issued) || issued.RedirectUri != form["redirect_uri"]
            || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != issued.Challenge)
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }

        Interlocked.Increment(ref CodesRedeemed);
        var claims = IdTokenClaims(issued.Subject, OurClientId);
        claims["nonce"] = NonceOverride ?? issued.Nonce;
        claims["auth_time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var (name, value) in SignInClaims)
        {
            claims[name] = value;
        }

        return Results.Json(new { access_token = "opaque-" + Guid.NewGuid().ToString("N"), token_type = "Bearer", expires_in = 3600, id_token = Sign(claims) });
    }

    /// <summary>Revoked at the provider: introspection says inactive from now on.</summary>
    public void Revoke(string token) => _opaque.TryRemove(token, out _);

    private bool Authenticated(string authorization, IFormCollection form)
    {
        if (AuthenticationHeaderValue.TryParse(authorization, out var header) && header.Scheme == "Basic" && header.Parameter is { } parameter)
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(parameter)).Split(':', 2);
            return pair.Length == 2 && Uri.UnescapeDataString(pair[0]) == OurClientId && Uri.UnescapeDataString(pair[1]) == OurClientSecret;
        }

        return form["client_id"] == OurClientId && form["client_secret"] == OurClientSecret;
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
