using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.Protocol.Registration;

/// <summary>
/// The issuer of software statements a registration policy trusts: its <c>iss</c> and public keys
/// (a JWK Set); with <paramref name="Required"/>, a registration without a statement is refused.
/// </summary>
public sealed record SoftwareStatementTrust(string Issuer, string Jwks, bool Required);

/// <summary>
/// Software statements (RFC 7591 §2.3): a JWT the software's publisher signed, whose claims are client
/// metadata. It must be signed with an asymmetric algorithm by the trusted issuer's key (never
/// <c>none</c> or a MAC: the keys are public); <c>exp</c> and <c>nbf</c> are honoured when present. Its
/// claims then take precedence over the same members of the request's JSON (§3.1.1).
/// </summary>
public static class SoftwareStatement
{
    public static readonly IReadOnlySet<string> Algorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public const int MaxLength = 16_384;

    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    // The JWT's own claims describe the statement, not the client; the client's id and secret are never the publisher's to set.
    private static readonly HashSet<string> JwtClaims = new(StringComparer.Ordinal)
    {
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "software_statement", "client_id", "client_secret",
    };

    // typ values of the JWTs an issuer may sign with the same keys for other ends.
    private static readonly HashSet<string> OtherKinds = new(StringComparer.OrdinalIgnoreCase)
    {
        "at+jwt", "dpop+jwt", "oauth-authz-req+jwt", "client-authentication+jwt", "logout+jwt", "token-introspection+jwt", "secevent+jwt",
    };

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>The public keys of a JWK Set an administrator gives, or why they cannot verify statements.</summary>
    public static (IReadOnlyList<SecurityKey> Keys, string? Problem) ReadKeys(string jwks)
    {
        try
        {
            var set = new JsonWebKeySet(jwks);
            var keys = set.Keys.Where(k => k.Kty is "RSA" or "EC").ToArray();
            return keys.Length == 0 ? ([], "must hold at least one RSA or EC public key")
                : keys.Any(k => k.HasPrivateKey) ? ([], "must hold public keys only")
                : (keys, null);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            return ([], "must be a JWK Set: an object with a \"keys\" array");
        }
    }

    /// <summary>The statement's claims (a JSON object), when <paramref name="trust"/>'s issuer signed it and it is valid now.</summary>
    public static async Task<(JsonElement? Claims, RegistrationError? Error)> VerifyAsync(string statement, SoftwareStatementTrust? trust, DateTimeOffset now)
    {
        if (statement.Length > MaxLength)
        {
            return (null, Invalid($"must be at most {MaxLength} characters"));
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(statement);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return (null, Invalid("is not a signed JWT"));
        }

        if (trust is null)
        {
            return (null, Unapproved("no issuer of software statements is trusted for this registration"));
        }

        if (jwt.Issuer != trust.Issuer)
        {
            return (null, Unapproved($"its issuer '{Shorten(jwt.Issuer)}' is not trusted for this registration"));
        }

        // A JWT of another kind the same issuer signed (an access token, a DPoP proof, a request object) is no statement.
        if (jwt.TryGetHeaderValue<string>("typ", out var typ) && typ is not null && OtherKinds.Contains(typ.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
            ? typ["application/".Length..] : typ))
        {
            return (null, Invalid($"a JWT of type '{Shorten(typ)}' is no software statement"));
        }

        var alg = jwt.Alg;
        if (string.IsNullOrEmpty(alg) || !Algorithms.Contains(alg))
        {
            return (null, Invalid("must be signed with RS, PS or ES 256/384/512"));
        }

        var keys = JwtAssertion.CandidateKeys(ReadKeys(trust.Jwks).Keys.Where(k => k is not JsonWebKey { Use: "enc" }), jwt, alg);
        var result = keys.Length == 0 ? null : await Handler.ValidateTokenAsync(statement, new TokenValidationParameters
        {
            IssuerSigningKeys = keys,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = [alg],
            ValidIssuer = trust.Issuer,
            ValidateAudience = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = (notBefore, expires, _, p) =>
                (expires is null || expires.Value.ToUniversalTime() + p.ClockSkew > now.UtcDateTime)
                && (notBefore is null || notBefore.Value.ToUniversalTime() - p.ClockSkew <= now.UtcDateTime),
        });
        if (result is not { IsValid: true })
        {
            return (null, Invalid(result?.Exception is SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException
                ? "has expired or is not valid yet"
                : "is not signed by a key of its issuer"));
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
            return payload.RootElement.ValueKind != JsonValueKind.Object ? (null, Invalid("must carry a JSON object of claims"))
                : ClientMetadata.RepeatedMember(payload.RootElement) is not null ? (null, Invalid("must name each claim once"))
                : (payload.RootElement.Clone(), null);
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException)
        {
            return (null, Invalid("must carry a JSON object of claims"));
        }
    }

    /// <summary>The request's metadata with the statement's claims in place of the request's own (§3.1.1); the statement itself kept.</summary>
    /// <param name="body">A JSON object naming each member once (<see cref="ClientMetadata.RepeatedMember"/>).</param>
    public static JsonElement Merge(JsonElement body, JsonElement claims)
    {
        var merged = new JsonObject();
        foreach (var member in body.EnumerateObject())
        {
            merged[member.Name] = JsonNode.Parse(member.Value.GetRawText());
        }

        foreach (var claim in claims.EnumerateObject())
        {
            if (!JwtClaims.Contains(claim.Name))
            {
                merged[claim.Name] = JsonNode.Parse(claim.Value.GetRawText());
            }
        }

        return JsonSerializer.SerializeToElement(merged);
    }

    public static RegistrationError Missing() => Invalid("is required for this registration");

    private static RegistrationError Invalid(string problem) =>
        new(RegistrationError.InvalidSoftwareStatement, $"software_statement: {problem}") { Field = "software_statement" };

    private static RegistrationError Unapproved(string problem) =>
        new(RegistrationError.UnapprovedSoftwareStatement, $"software_statement: {problem}") { Field = "software_statement" };

    private static string Shorten(string? value) => value is null ? "" : value.Length > 100 ? value[..100] : value;
}
