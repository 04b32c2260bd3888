using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.AuditTail;

/// <summary>Names fixed by the services' audit keys (ServiceDefaults' AuditKey).</summary>
public static class AuditKeysFile
{
    /// <summary>The JWK member naming the service a pinned key belongs to.</summary>
    public const string ServiceMember = "svc";
}

/// <summary>
/// What <c>verify</c> checks with: the pinned public keys (a JWK Set file, each key naming its service
/// in <c>svc</c>) for checkpoint signatures, and, when the services' private audit keys are at hand
/// (the operator's secrets), the MAC keys derived from them.
/// </summary>
public sealed class AuditKeys
{
    private readonly Dictionary<string, JsonWebKey> _public = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _mac = new(StringComparer.Ordinal);

    public static readonly AuditKeys None = new();

    public int PinnedCount => _public.Count;

    public int MacCount => _mac.Count;

    public JsonWebKey? PublicKeyOf(string service) => _public.GetValueOrDefault(service);

    public byte[]? MacKeyOf(string service) => _mac.GetValueOrDefault(service);

    /// <param name="pinned">A JWK Set file (<c>tools/audit keys</c> wrote it), or null.</param>
    /// <param name="privateKeys"><c>service=base64 PKCS#8;...</c> (the AppHost's <c>audit-key-*</c> parameters), or null.</param>
    /// <exception cref="FormatException">Either cannot be read.</exception>
    public static AuditKeys Load(string? pinned, string? privateKeys)
    {
        var keys = new AuditKeys();
        if (pinned is not null)
        {
            var set = JsonNode.Parse(File.ReadAllText(pinned))?["keys"]?.AsArray() ?? throw new FormatException($"{pinned} is not a JWK Set");
            foreach (var node in set)
            {
                var service = node?[AuditKeysFile.ServiceMember]?.GetValue<string>() ?? throw new FormatException($"a key in {pinned} names no service (\"svc\")");
                keys._public[service] = new JsonWebKey(node.ToJsonString());
            }
        }

        foreach (var (service, key) in ParsePrivate(privateKeys))
        {
            using var ecdsa = ImportPrivate(service, key);
            keys._mac[service] = AuditCloudEvent.MacKeyOf(ecdsa);
            keys._public.TryAdd(service, PublicJwk(service, ecdsa));
        }

        return keys;
    }

    /// <summary>The public halves of the private keys, as the JWK Set auditors pin.</summary>
    public static string PublicJwks(string? privateKeys)
    {
        var keys = new JsonArray();
        foreach (var (service, key) in ParsePrivate(privateKeys).OrderBy(k => k.Service, StringComparer.Ordinal))
        {
            using var ecdsa = ImportPrivate(service, key);
            var jwk = PublicJwk(service, ecdsa);
            keys.Add(new JsonObject
            {
                ["kty"] = "EC", ["crv"] = "P-256", ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = jwk.KeyId, ["use"] = "sig", ["alg"] = "ES256",
                [AuditKeysFile.ServiceMember] = service,
            });
        }

        return new JsonObject { ["keys"] = keys }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonWebKey PublicJwk(string service, ECDsa key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(false))));
        jwk.KeyId = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        jwk.AdditionalData[AuditKeysFile.ServiceMember] = service;
        return jwk;
    }

    private static IEnumerable<(string Service, string Key)> ParsePrivate(string? privateKeys) =>
        (privateKeys ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(parts => parts.Length == 2 ? (parts[0], parts[1]) : throw new FormatException("audit keys are service=base64 pairs separated by ';'"));

    private static ECDsa ImportPrivate(string service, string key)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(key), out _);
            return ecdsa;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new FormatException($"the audit key of {service} is not a base64 PKCS#8 EC key");
        }
    }
}
