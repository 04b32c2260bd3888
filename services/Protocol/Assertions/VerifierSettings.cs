using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Assertions;

/// <summary>One registered verification key: a JWK or a PEM certificate, with its kid.</summary>
public sealed record VerifierKey(string? Kid, string? Alg, JsonElement? Jwk, string? CertificatePem);

/// <summary>
/// A client's JWT verifier settings (registry field <c>jwtVerifier</c>): where its keys are, which
/// algorithms it signs with, and how its assertions are checked. <c>sharedKey</c> is write-only.
/// </summary>
public sealed record VerifierSettings
{
    public string? JwksUri { get; init; }
    public int? JwksCacheLifespan { get; init; }
    public IReadOnlyList<VerifierKey>? Keys { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SharedKey { get; init; }
    public IReadOnlyList<string>? Algorithms { get; init; }
    public string? UserField { get; init; }
    public int? ClockSkew { get; init; }
    public int? MaxAssertionLifetime { get; init; }
    public bool? JtiCheck { get; init; }
    public IReadOnlyList<string>? RequiredClaims { get; init; }
    public bool? AcceptClientIdAudience { get; init; }

    public static readonly IReadOnlySet<string> UserFields = new HashSet<string>(StringComparer.Ordinal) { "user_name", "email", "sys_id" };

    private static readonly IReadOnlySet<string> KnownAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256",
    };

    /// <summary>
    /// 60 s by default: enough for real clocks, and it bounds how long used jtis are kept (exp + skew).
    /// </summary>
    public const int DefaultClockSkew = 60;

    public TimeSpan JwksCacheDuration => TimeSpan.FromSeconds(JwksCacheLifespan ?? 3600);

    public string EffectiveUserField => UserField ?? "user_name";

    /// <summary>Defaults: RS256/384/512, PS256, ES256/384; HS256 only with a shared key.</summary>
    public IReadOnlyList<string> EffectiveAlgorithms =>
        Algorithms is { Count: > 0 } configured
            ? configured.Where(a => a != SecurityAlgorithms.HmacSha256 || SharedKey is not null).ToArray()
            : SharedKey is null ? AssertionPolicy.DefaultAlgorithms : [.. AssertionPolicy.DefaultAlgorithms, SecurityAlgorithms.HmacSha256];

    public AssertionPolicy GrantPolicy => new(EffectiveAlgorithms, TimeSpan.FromSeconds(ClockSkew ?? DefaultClockSkew),
        TimeSpan.FromSeconds(MaxAssertionLifetime ?? 3600), RequiredClaims ?? [], JtiCheck ?? true);

    /// <summary>Client authentication (private_key_jwt): always a one-time jti and a short life.</summary>
    public AssertionPolicy ClientAuthenticationPolicy => new(EffectiveAlgorithms.Where(a => !a.StartsWith("HS", StringComparison.Ordinal)).ToArray(),
        TimeSpan.FromSeconds(ClockSkew ?? DefaultClockSkew), TimeSpan.FromMinutes(5), [], JtiRequired: true);

    /// <summary>The inline keys (JWKs, certificates) and the shared key, as IdentityModel keys.</summary>
    public IReadOnlyList<SecurityKey> InlineKeys()
    {
        var keys = new List<SecurityKey>();
        foreach (var key in Keys ?? [])
        {
            if (key.Jwk is { } jwk)
            {
                var parsed = new JsonWebKey(jwk.GetRawText());
                if (key.Kid is not null)
                {
                    parsed.KeyId = key.Kid;
                }

                keys.Add(parsed);
            }
            else if (key.CertificatePem is { } pem)
            {
                var certificate = X509Certificate2.CreateFromPem(pem);
                keys.Add(new X509SecurityKey(certificate, key.Kid ?? certificate.Thumbprint));
            }
        }

        if (SharedKey is not null)
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SharedKey)) { KeyId = "shared" });
        }

        return keys;
    }

    /// <summary>Null when the settings are acceptable; else field → message.</summary>
    public IReadOnlyDictionary<string, string> Problems()
    {
        var problems = new Dictionary<string, string>();
        if (JwksUri is not null && (!Uri.TryCreate(JwksUri, UriKind.Absolute, out var uri) || !(uri.Scheme == "https" || (uri.Scheme == "http" && ClientRules.IsLoopback(uri)))))
        {
            problems["jwtVerifier.jwksUri"] = "must be an https URL (http only on loopback)";
        }

        if (JwksCacheLifespan is < 60 or > 86_400)
        {
            problems["jwtVerifier.jwksCacheLifespan"] = "must be 60-86400 seconds";
        }

        var unknown = Algorithms?.FirstOrDefault(a => !KnownAlgorithms.Contains(a));
        if (unknown is not null)
        {
            problems["jwtVerifier.algorithms"] = $"unknown algorithm '{unknown}'";
        }
        else if (Algorithms?.Contains(SecurityAlgorithms.HmacSha256) == true && SharedKey is null)
        {
            problems["jwtVerifier.algorithms"] = "HS256 needs a sharedKey";
        }

        if (SharedKey is not null && Encoding.UTF8.GetByteCount(SharedKey) < 32)
        {
            problems["jwtVerifier.sharedKey"] = "must be at least 256 bits (32 bytes)";
        }

        if (UserField is not null && !UserFields.Contains(UserField))
        {
            problems["jwtVerifier.userField"] = "must be user_name, email or sys_id";
        }

        if (ClockSkew is < 0 or > 3600)
        {
            problems["jwtVerifier.clockSkew"] = "must be 0-3600 seconds";
        }

        if (MaxAssertionLifetime is < 1 or > 86_400)
        {
            problems["jwtVerifier.maxAssertionLifetime"] = "must be 1-86400 seconds";
        }

        for (var i = 0; i < (Keys?.Count ?? 0); i++)
        {
            var key = Keys![i];
            try
            {
                if (key.Jwk is null == key.CertificatePem is null)
                {
                    problems[$"jwtVerifier.keys[{i}]"] = "needs exactly one of jwk or certificatePem";
                }
                else if (key.Jwk is { } jwk && new JsonWebKey(jwk.GetRawText()) is { Kty: not ("RSA" or "EC") } || key.Jwk is { } pub && HasPrivateParts(pub))
                {
                    problems[$"jwtVerifier.keys[{i}]"] = "must be a public RSA or EC key";
                }
                else if (key.CertificatePem is { } pem)
                {
                    X509Certificate2.CreateFromPem(pem).Dispose();
                }
            }
            catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException or JsonException)
            {
                problems[$"jwtVerifier.keys[{i}]"] = "is not a valid JWK or PEM certificate";
            }
        }

        return problems;
    }

    private static bool HasPrivateParts(JsonElement jwk) => jwk.TryGetProperty("d", out _) || jwk.TryGetProperty("p", out _);
}
