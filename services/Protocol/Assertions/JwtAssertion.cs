using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Protocol.Assertions;

/// <summary>
/// Validates a signed JWT a client presents: as an authorization grant (RFC 7523 §3) or as client
/// authentication (§3 with draft-ietf-oauth-rfc7523bis: the audience is the issuer alone). The
/// algorithm must be allowed and fit the key (so no RSA public key is ever used as an HMAC secret,
/// and <c>none</c> never passes); iss, aud, exp, nbf, iat, sub, jti and required claims are checked.
/// </summary>
public static class JwtAssertion
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    private static readonly HashSet<string> OtherKinds = new(StringComparer.OrdinalIgnoreCase) { "oauth-authz-req+jwt", "dpop+jwt", "at+jwt" };

    /// <param name="useJti">Records a jti as used until the given time (exp + skew); false when it was used before.</param>
    public static async Task<AssertionResult> ValidateAsync(string assertion, IReadOnlyCollection<SecurityKey> keys, AssertionPolicy policy,
        AssertionExpectations expected, DateTimeOffset now, Func<string, DateTimeOffset, ValueTask<bool>>? useJti = null)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(assertion);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return Fail(AssertionFailure.Malformed);
        }

        // The client signs other JWTs with the same keys, for the same audience: none of them is an assertion.
        if (OtherKinds.Contains(jwt.Typ.StartsWith("application/", StringComparison.OrdinalIgnoreCase) ? jwt.Typ["application/".Length..] : jwt.Typ))
        {
            return Fail(AssertionFailure.WrongType, jwt.Typ);
        }

        var alg = jwt.Alg;
        if (string.IsNullOrEmpty(alg) || alg.Equals("none", StringComparison.OrdinalIgnoreCase) || !policy.Algorithms.Contains(alg))
        {
            return Fail(AssertionFailure.AlgorithmNotAllowed, alg);
        }

        var candidates = CandidateKeys(keys, jwt, alg);
        if (candidates.Length == 0)
        {
            return Fail(AssertionFailure.UnknownKey, jwt.Kid);
        }

        var result = await Handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKeys = candidates,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = [alg],
            ValidIssuer = expected.Issuer,
            ValidateAudience = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = policy.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp && exp.ToUniversalTime() + p.ClockSkew > now.UtcDateTime
                && (notBefore is null || notBefore.Value.ToUniversalTime() - p.ClockSkew <= now.UtcDateTime),
        });
        if (!result.IsValid)
        {
            return Fail(result.Exception switch
            {
                SecurityTokenInvalidIssuerException => AssertionFailure.WrongIssuer,
                SecurityTokenSignatureKeyNotFoundException => AssertionFailure.UnknownKey,
                SecurityTokenInvalidSignatureException => AssertionFailure.BadSignature,
                SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNoExpirationException =>
                    jwt.ValidFrom > now.UtcDateTime + policy.ClockSkew ? AssertionFailure.NotYetValid : AssertionFailure.Expired,
                SecurityTokenNotYetValidException => AssertionFailure.NotYetValid,
                SecurityTokenInvalidAlgorithmException => AssertionFailure.AlgorithmNotAllowed,
                _ => AssertionFailure.Malformed,
            }, result.Exception?.GetType().Name ?? "");
        }

        var audiences = jwt.Audiences.ToArray();
        var audienceOk = expected.SoleAudience
            ? audiences.Length == 1 && expected.Audiences.Contains(audiences[0])
            : audiences.Any(expected.Audiences.Contains);
        if (!audienceOk || (expected.AudienceAsString && !AudienceIsString(jwt)))
        {
            return Fail(AssertionFailure.WrongAudience, string.Join(' ', audiences));
        }

        var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        if (expiresAt - now > policy.MaxLifetime + policy.ClockSkew)
        {
            return Fail(AssertionFailure.LifetimeTooLong);
        }

        if (jwt.TryGetPayloadValue<long>("iat", out var iat) && DateTimeOffset.FromUnixTimeSeconds(iat) > now + policy.ClockSkew)
        {
            return Fail(AssertionFailure.IssuedInTheFuture);
        }

        // The whole life is capped too (RFC 7523 §3): an assertion minted for days is refused even
        // when presented near its end.
        if (iat != 0 && expiresAt - DateTimeOffset.FromUnixTimeSeconds(iat) > policy.MaxLifetime)
        {
            return Fail(AssertionFailure.LifetimeTooLong);
        }

        if (string.IsNullOrEmpty(jwt.Subject))
        {
            return Fail(AssertionFailure.MissingSubject);
        }

        if (expected.Subject is not null && jwt.Subject != expected.Subject)
        {
            return Fail(AssertionFailure.WrongSubject);
        }

        var missing = policy.RequiredClaims.FirstOrDefault(c => !jwt.TryGetPayloadValue<object>(c, out _));
        if (missing is not null)
        {
            return Fail(AssertionFailure.MissingClaim, missing);
        }

        var jti = string.IsNullOrEmpty(jwt.Id) ? null : jwt.Id;
        if (policy.JtiRequired && jti is null)
        {
            return Fail(AssertionFailure.MissingJti);
        }

        // Remembered for as long as the assertion is accepted (exp + skew), not just until exp: a
        // replay inside the skew window must still find it.
        if (policy.JtiRequired && useJti is not null && !await useJti(jti!, expiresAt + policy.ClockSkew))
        {
            return Fail(AssertionFailure.Replayed);
        }

        return new AssertionResult(AssertionFailure.None, new AssertionClaims(jwt.Issuer, jwt.Subject, jti, expiresAt, jwt));
    }

    /// <summary>The kid and issuer of an assertion, read without trusting it (to find the client and its keys).</summary>
    public static (string? Issuer, string? Kid) Peek(string assertion)
    {
        try
        {
            var jwt = new JsonWebToken(assertion);
            return (jwt.Issuer, jwt.Kid);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The keys that may verify <paramref name="jwt"/>: of <paramref name="alg"/>'s family, and named by its kid (or naming none).</summary>
    public static SecurityKey[] CandidateKeys(IEnumerable<SecurityKey> keys, JsonWebToken jwt, string alg) =>
        [.. keys.Where(k => Fits(k, alg) && (string.IsNullOrEmpty(jwt.Kid) || k.KeyId == jwt.Kid || string.IsNullOrEmpty(k.KeyId)))];

    /// <summary>Only a key of the algorithm's family may verify it: the algorithm-confusion defence.</summary>
    public static bool Fits(SecurityKey key, string alg) => alg[..2] switch
    {
        "HS" => key is SymmetricSecurityKey,
        "RS" or "PS" => key is RsaSecurityKey or X509SecurityKey { PublicKey: System.Security.Cryptography.RSA } or JsonWebKey { Kty: "RSA" },
        "ES" => key is ECDsaSecurityKey or X509SecurityKey { PublicKey: System.Security.Cryptography.ECDsa } or JsonWebKey { Kty: "EC" },
        _ => false,
    };

    private static AssertionResult Fail(AssertionFailure failure, string? detail = null) => new(failure, null, detail ?? "");

    /// <summary>Whether the payload's <c>aud</c> is one JSON string (read from the payload as sent: the parsed token no longer tells).</summary>
    private static bool AudienceIsString(JsonWebToken jwt)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        return payload.RootElement.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String;
    }
}
