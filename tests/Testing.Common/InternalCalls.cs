using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Testing;

/// <summary>
/// Internal calls made as the tests choose: service tokens minted here from a key (written against
/// the wire contract, not with the services' own signer), sent on raw gRPC calls whose request is an
/// empty message, so any RPC of any service can be called by name.
/// </summary>
public static class InternalCalls
{
    public const string ServiceTokenType = "oauthaspire-service+jwt";
    public const string GrpcHeader = "x-oauthaspire-service";
    public const string EdgeHeader = "X-OAuthAspire-Edge";

    /// <summary>The services that hold an identity; the sample API holds none.</summary>
    public static readonly string[] Services = ["edge", "authorize", "token", "client-registry", "federation-trust", "scope-policy", "directory", "audit-log"];

    /// <summary>Every RPC the contracts define (read from the .proto files), as (gRPC service full name, method name).</summary>
    public static IEnumerable<(string Service, string Method)> AllRpcs()
    {
        var protos = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", "services", "Contracts", "Protos"));
        foreach (var file in Directory.EnumerateFiles(protos, "*.proto"))
        {
            string? package = null, service = null;
            foreach (var line in File.ReadLines(file).Select(l => l.Trim()))
            {
                if (Regex.Match(line, @"^package\s+([\w.]+);") is { Success: true } p)
                {
                    package = p.Groups[1].Value;
                }
                else if (Regex.Match(line, @"^service\s+(\w+)") is { Success: true } s)
                {
                    service = $"{package}.{s.Groups[1].Value}";
                }
                else if (Regex.Match(line, @"^rpc\s+(\w+)") is { Success: true } r && service is not null)
                {
                    yield return (service, r.Groups[1].Value);
                }
            }
        }
    }

    /// <summary>A new EC P-256 private key, as the AppHost's <c>service-key-*</c> parameters hold one (base64 PKCS#8).</summary>
    public static string NewKey()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey());
    }

    /// <param name="claims">More claims, or others in place of the defaults (an identity assertion's, say).</param>
    public static string Mint(string privateKey, string caller, string audience, DateTime? issuedAt = null, TimeSpan? life = null,
        string type = ServiceTokenType, IReadOnlyDictionary<string, object>? claims = null)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        // Uncached: IdentityModel would otherwise keep a signer bound to this (disposed) ECDsa for the next call.
        var key = new ECDsaSecurityKey(ecdsa) { CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } };
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key).ComputeJwkThumbprint());
        var iat = issuedAt ?? DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = caller,
            Audience = audience,
            IssuedAt = iat,
            NotBefore = iat,
            Expires = iat + (life ?? TimeSpan.FromSeconds(60)),
            TokenType = type,
            Claims = new Dictionary<string, object> { ["sub"] = caller, ["jti"] = Guid.NewGuid().ToString("N") }
                .Concat(claims ?? new Dictionary<string, object>()).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>A channel to <paramref name="address"/> whose connections come from <paramref name="localAddress"/> (a loopback address of the test's own).</summary>
    public static GrpcChannel ChannelFrom(Uri address, string localAddress) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = SystemFixture.HandlerFrom(localAddress), DisposeHttpClient = true });

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    /// <summary>Calls one RPC with an empty request message and the given service token (none when null); the status it ended with.</summary>
    public static async Task<StatusCode> CallAsync(GrpcChannel channel, string service, string method, string? serviceToken)
    {
        var rpc = new Method<byte[], byte[]>(MethodType.Unary, service, method, Raw, Raw);
        var headers = new Metadata();
        if (serviceToken is not null)
        {
            headers.Add(GrpcHeader, serviceToken);
        }

        try
        {
            await channel.CreateCallInvoker().AsyncUnaryCall(rpc, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(30)), []);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
