using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Dpop;

/// <summary>
/// Checks a DPoP proof against RFC 9449 §4.3: exactly one proof, a JWS typed <c>dpop+jwt</c>, signed
/// with an asymmetric algorithm by the public key in its own header, for this method and URI, recent,
/// and — at a resource — for this access token. What needs state is left to the caller: one-time use
/// of the <c>jti</c> (<see cref="DpopReplayCache"/>), the server nonce (<see cref="DpopNonces"/>), and
/// comparing <see cref="DpopProofResult.Jkt"/> with the token's <c>cnf.jkt</c>.
/// </summary>
public sealed class DpopProofValidator
{
    /// <summary>A proof is a few hundred bytes; the limit only bounds the work an attacker can ask for.</summary>
    public const int MaxLength = 8 * 1024;

    public const int MaxJtiLength = 256;

    // Members that only a private JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    // Coordinates of P-256 and P-384 (32 and 48 bytes) in unpadded base64url.
    private const int P256Coordinate = 43;
    private const int P384Coordinate = 64;

    // RSA moduli of 2048 (RFC 7518 §3.3: no less) to 8192 bits, in unpadded base64url.
    private const int MinModulus = 342;
    private const int MaxModulus = 1366;
    private const int MaxExponent = 8;

    private const int KeyCapacity = 10_000;
    private ConcurrentDictionary<string, AsymmetricAlgorithm> _keys = new(StringComparer.Ordinal);

    // The range of DateTimeOffset in Unix seconds: iat outside it is no time at all.
    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;

    /// <param name="headerValues">Every DPoP header value sent with the request.</param>
    public DpopProofResult Validate(IReadOnlyList<string?> headerValues, DpopProofExpectations expected, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        ArgumentNullException.ThrowIfNull(expected);

        if (headerValues.All(string.IsNullOrWhiteSpace))
        {
            return DpopProofResult.Fail(DpopFailure.Missing);
        }

        // §4.3 check 1: exactly one DPoP field. A comma means a proxy joined two (a JWS has none).
        if (headerValues.Count > 1 || headerValues[0]!.Contains(','))
        {
            return DpopProofResult.Fail(DpopFailure.Multiple);
        }

        var proof = headerValues[0]!.Trim();
        if (proof.Length > MaxLength || CountDots(proof) != 2)
        {
            return DpopProofResult.Fail(DpopFailure.Malformed);
        }

        try
        {
            return Check(proof, expected, now);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or CryptographicException)
        {
            // JSON that parses but holds no text (a lone surrogate), a key member that is no
            // base64url: whatever the sender made of it, it is no proof, never a server error.
            return DpopProofResult.Fail(DpopFailure.Malformed);
        }
    }

    private DpopProofResult Check(string proof, DpopProofExpectations expected, DateTimeOffset now)
    {
        // A compact JWS, read here rather than by a JWT library's full validation pipeline, which
        // costs several times the signature check itself on every API call (bench/Micro
        // DpopProofBenchmarks): the key is the proof's own, so there is nothing else to resolve.
        var firstDot = proof.IndexOf('.');
        var secondDot = proof.IndexOf('.', firstDot + 1);
        using var header = ParseObject(proof[..firstDot]);
        using var payload = ParseObject(proof[(firstDot + 1)..secondDot]);
        var signature = DecodeSegment(proof[(secondDot + 1)..]);
        if (header is null || payload is null || signature is null)
        {
            return DpopProofResult.Fail(DpopFailure.Malformed);
        }

        if (ReadString(header.RootElement, "typ") != DpopProtocol.ProofType)
        {
            return DpopProofResult.Fail(DpopFailure.WrongType);
        }

        // RFC 7515 §4.1.11: an extension marked critical that is not understood makes the JWS invalid; none is here.
        if (header.RootElement.TryGetProperty("crit", out _))
        {
            return DpopProofResult.Fail(DpopFailure.Malformed);
        }

        var alg = ReadString(header.RootElement, "alg");
        if (alg is null || Array.IndexOf(DpopProtocol.Algorithms, alg) < 0)
        {
            return DpopProofResult.Fail(DpopFailure.UnsupportedAlgorithm);
        }

        var key = ReadKey(header.RootElement, alg, out var keyFailure);
        if (key is null)
        {
            return DpopProofResult.Fail(keyFailure);
        }

        var jkt = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        if (!Verify(key, jkt, alg, Encoding.ASCII.GetBytes(proof, 0, secondDot), signature))
        {
            return DpopProofResult.Fail(DpopFailure.BadSignature);
        }

        var claims = payload.RootElement;
        var jti = ReadString(claims, "jti");
        var htm = ReadString(claims, "htm");
        var htu = ReadString(claims, "htu");
        if (string.IsNullOrEmpty(jti) || jti.Length > MaxJtiLength || string.IsNullOrEmpty(htm) || string.IsNullOrEmpty(htu)
            || !TryReadTime(claims, "iat", out var issuedAt) || !TryReadOptionalString(claims, "nonce", out var nonce))
        {
            return DpopProofResult.Fail(DpopFailure.MissingClaims);
        }

        // Methods are case-sensitive (RFC 9110 §9.1).
        if (!string.Equals(htm, expected.Method, StringComparison.Ordinal))
        {
            return DpopProofResult.Fail(DpopFailure.WrongMethod);
        }

        var normalizedHtu = DpopProtocol.NormalizeUri(htu);
        if (normalizedHtu is null || !expected.Uris.Contains(normalizedHtu, StringComparer.Ordinal))
        {
            return DpopProofResult.Fail(DpopFailure.WrongUri);
        }

        if (issuedAt < now - expected.MaxAge - expected.ClockSkew)
        {
            return DpopProofResult.Fail(DpopFailure.Stale);
        }

        if (issuedAt > now + expected.ClockSkew)
        {
            return DpopProofResult.Fail(DpopFailure.FromTheFuture);
        }

        if (expected.AccessToken is not null)
        {
            var ath = ReadString(claims, "ath");
            if (ath is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(ath), Encoding.UTF8.GetBytes(DpopProtocol.AccessTokenHash(expected.AccessToken))))
            {
                return DpopProofResult.Fail(DpopFailure.WrongAccessTokenHash);
            }
        }

        return new DpopProofResult(DpopFailure.None, null, jkt, jti, issuedAt, nonce, normalizedHtu, alg);
    }

    /// <summary>
    /// The proof's public key, built from its required members only: an <c>x5c</c> or <c>kid</c> beside
    /// them must not pick another key than the one whose thumbprint the token is bound to.
    /// </summary>
    private static JsonWebKey? ReadKey(JsonElement header, string alg, out DpopFailure failure)
    {
        failure = DpopFailure.BadKey;
        if (!header.TryGetProperty("jwk", out var jwk) || jwk.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var kty = ReadString(jwk, "kty");
        if (kty is not ("EC" or "RSA"))
        {
            return null;
        }

        foreach (var member in PrivateMembers)
        {
            if (jwk.TryGetProperty(member, out _))
            {
                failure = DpopFailure.PrivateKey;
                return null;
            }
        }

        if (kty == "EC")
        {
            // RFC 7518 §3.4: ES256 signs on P-256, ES384 on P-384.
            var curve = alg == "ES256" ? "P-256" : alg == "ES384" ? "P-384" : null;
            var coordinate = alg == "ES256" ? P256Coordinate : P384Coordinate;
            var x = ReadString(jwk, "x");
            var y = ReadString(jwk, "y");
            if (curve is null || ReadString(jwk, "crv") != curve || !IsBase64Url(x, coordinate, coordinate) || !IsBase64Url(y, coordinate, coordinate))
            {
                return null;
            }

            return new JsonWebKey { Kty = "EC", Crv = curve, X = x, Y = y };
        }

        var n = ReadString(jwk, "n");
        var e = ReadString(jwk, "e");
        if (!(alg.StartsWith("RS", StringComparison.Ordinal) || alg.StartsWith("PS", StringComparison.Ordinal))
            || !IsBase64Url(n, MinModulus, MaxModulus) || !IsBase64Url(e, 1, MaxExponent))
        {
            return null;
        }

        return new JsonWebKey { Kty = "RSA", N = n, E = e };
    }

    /// <summary>
    /// The JWS signature (RFC 7515 §5.2) by the proof's own key, with the algorithm its header names.
    /// A client signs every proof with one key, and importing a public key costs twice checking a
    /// signature with it (bench/Micro DpopProofBenchmarks): keys are kept, by thumbprint, in a bounded
    /// map that starts over when full, so a flood of new keys costs its sender, never correctness.
    /// A kept key is only ever used to verify, which OpenSSL allows from many threads at once.
    /// </summary>
    private bool Verify(JsonWebKey jwk, string jkt, string alg, byte[] signingInput, byte[] signature)
    {
        try
        {
            var keys = Volatile.Read(ref _keys);
            if (keys.TryGetValue(jkt, out var known))
            {
                return Verify(known, alg, signingInput, signature);
            }

            // Kept only once a signature by it verified: junk keys with junk signatures never displace the keys in use.
            var key = Import(jwk);
            if (!Verify(key, alg, signingInput, signature))
            {
                key.Dispose();
                return false;
            }

            if (keys.Count >= KeyCapacity)
            {
                keys = new ConcurrentDictionary<string, AsymmetricAlgorithm>(StringComparer.Ordinal);
                Volatile.Write(ref _keys, keys);
            }

            keys[jkt] = key;
            return true;
        }
        catch (CryptographicException)
        {
            // Not a point on the curve, or a key the platform refuses: no signature by it can be good.
            return false;
        }
    }

    // JWS ECDSA signatures are r || s (RFC 7518 §3.4), .NET's IEEE P1363 form; PS256 salts with the hash's length (§3.5).
    private static bool Verify(AsymmetricAlgorithm key, string alg, byte[] signingInput, byte[] signature) => key switch
    {
        ECDsa ec => ec.VerifyData(signingInput, signature, alg == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384),
        RSA rsa => rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, alg == "PS256" ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1),
        _ => false,
    };

    private static AsymmetricAlgorithm Import(JsonWebKey jwk) => jwk.Kty == "EC"
        ? ECDsa.Create(new ECParameters
        {
            Curve = jwk.Crv == "P-256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk.X), Y = Base64UrlEncoder.DecodeBytes(jwk.Y) },
        })
        : RSA.Create(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(jwk.N), Exponent = Base64UrlEncoder.DecodeBytes(jwk.E) });

    private static byte[]? DecodeSegment(string segment)
    {
        try
        {
            return segment.Length == 0 ? [] : Base64UrlEncoder.DecodeBytes(segment);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static JsonDocument? ParseObject(string segment)
    {
        try
        {
            var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(segment));
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    // Compact JWS: three parts. Five would be a JWE, which is no proof.
    private static int CountDots(string value)
    {
        var dots = 0;
        foreach (var c in value)
        {
            if (c == '.')
            {
                dots++;
            }
        }

        return dots;
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>True when absent (null) or a string; false when present with another type.</summary>
    private static bool TryReadOptionalString(JsonElement element, string name, out string? value)
    {
        value = null;
        if (!element.TryGetProperty(name, out var member))
        {
            return true;
        }

        value = member.ValueKind == JsonValueKind.String ? member.GetString() : null;
        return value is not null;
    }

    /// <summary>A NumericDate (RFC 7519 §2), which may carry a fraction: whole seconds are enough here.</summary>
    private static bool TryReadTime(JsonElement element, string name, out DateTimeOffset time)
    {
        time = default;
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number
            || !value.TryGetDouble(out var seconds) || seconds < MinUnixSeconds || seconds > MaxUnixSeconds)
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(seconds));
        return true;
    }

    // Unpadded base64url of a length in [min, max]: also keeps the RFC 7638 canonical JSON exact.
    private static bool IsBase64Url([NotNullWhen(true)] string? value, int min, int max)
    {
        // A length of 1 mod 4 is no base64 at all.
        if (value is null || value.Length < min || value.Length > max || value.Length % 4 == 1)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
