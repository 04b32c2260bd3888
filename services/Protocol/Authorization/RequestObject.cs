using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Assertions;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Authorization;

/// <summary>What a request object stood for: its parameters, or why it was refused; its jti for the one-time check.</summary>
/// <param name="UnknownKey">No registered key fits: the client's JWKS may be worth fetching again.</param>
public sealed record RequestObjectResult(RequestParameters? Parameters, string? Problem, string? Jti, DateTimeOffset ExpiresAt, bool UnknownKey = false)
{
    public bool IsValid => Parameters is not null;

    public static RequestObjectResult Refused(string problem, bool unknownKey = false) => new(null, problem, null, default, unknownKey);
}

/// <summary>
/// Signed request objects (RFC 9101, JAR): the authorization request as a JWT the client signed with
/// one of its registered keys. <c>iss</c> is the client, <c>aud</c> this issuer, <c>exp</c> is required
/// and the whole life (from <c>iat</c> or <c>nbf</c>) is an hour at most, the algorithm is an allowed
/// asymmetric one that fits the key (never <c>none</c>), and a <c>typ</c>, when sent, is
/// <c>oauth-authz-req+jwt</c>. It may not carry <c>sub</c>: every client assertion and JWT bearer grant
/// must (and refuses this <c>typ</c>), so one never passes for the other. Only its claims count as
/// parameters (§6.3): strings, <c>max_age</c> as a number, <c>claims</c> as an object; nothing else.
/// </summary>
public static class RequestObject
{
    public const string MediaType = "oauth-authz-req+jwt";

    /// <summary>The longest life a request object may claim: it travels once, straight to the server.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    // The JWT's own claims: they are not authorization request parameters.
    private static readonly HashSet<string> JwtClaims = new(StringComparer.Ordinal) { "iss", "aud", "exp", "nbf", "iat", "jti", "sub" };

    /// <param name="algorithms">The client's allowed signing algorithms; symmetric ones are left out.</param>
    private static string Shorten(string name) => name.Length > 40 ? name[..40] : name;

    /// <param name="requireNotBefore">Refuse an object without nbf (FAPI 2.0 clients).</param>
    public static async Task<RequestObjectResult> ValidateAsync(string requestObject, string clientId, string issuer, IReadOnlyCollection<SecurityKey> keys,
        IReadOnlyCollection<string> algorithms, TimeSpan clockSkew, DateTimeOffset now, bool requireNotBefore = false)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(requestObject);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException)
        {
            return RequestObjectResult.Refused("The request object is no JWT.");
        }

        if (jwt.TryGetHeaderValue<string>("typ", out var typ) && typ is not null
            && !typ.Equals(MediaType, StringComparison.OrdinalIgnoreCase) && !typ.Equals("application/" + MediaType, StringComparison.OrdinalIgnoreCase))
        {
            return RequestObjectResult.Refused($"A request object's typ is {MediaType}.");
        }

        var alg = jwt.Alg;
        if (string.IsNullOrEmpty(alg) || alg.StartsWith("HS", StringComparison.Ordinal) || !algorithms.Contains(alg))
        {
            return RequestObjectResult.Refused("The request object's algorithm is not allowed for this client.");
        }

        var candidates = JwtAssertion.CandidateKeys(keys, jwt, alg);
        if (candidates.Length == 0)
        {
            return RequestObjectResult.Refused("No key of this client verifies the request object.", unknownKey: true);
        }

        var result = await Handler.ValidateTokenAsync(requestObject, new TokenValidationParameters
        {
            IssuerSigningKeys = candidates,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = [alg],
            ValidIssuer = clientId,
            ValidateAudience = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = clockSkew,
            // Replaces IdentityModel's own lifetime check, RequireExpirationTime included: exp is required here.
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } exp && exp.ToUniversalTime() + p.ClockSkew > now.UtcDateTime
                && (notBefore is null || notBefore.Value.ToUniversalTime() - p.ClockSkew <= now.UtcDateTime),
        });
        if (!result.IsValid)
        {
            return RequestObjectResult.Refused(result.Exception switch
            {
                SecurityTokenInvalidIssuerException => "The request object's iss is not the client.",
                SecurityTokenInvalidLifetimeException when !jwt.TryGetPayloadValue<long>("exp", out _) => "The request object has no exp.",
                SecurityTokenNoExpirationException => "The request object has no exp.",
                SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException =>
                    "The request object has expired or is not valid yet.",
                _ => "The request object's signature does not verify.",
            });
        }

        if (!jwt.Audiences.Contains(issuer, StringComparer.Ordinal))
        {
            return RequestObjectResult.Refused("The request object's aud is not this issuer.");
        }

        if (!string.IsNullOrEmpty(jwt.Subject))
        {
            return RequestObjectResult.Refused("A request object carries no sub.");
        }

        // FAPI 2.0 (by way of JAR): nbf present, and no more than an hour before exp.
        if (requireNotBefore && (jwt.ValidFrom == DateTime.MinValue || jwt.ValidTo - jwt.ValidFrom > MaxLifetime))
        {
            return RequestObjectResult.Refused("This client's request objects must carry nbf, an hour before exp at most (FAPI 2.0).");
        }

        var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        var issuedAt = jwt.TryGetPayloadValue<long>("iat", out var iat) ? DateTimeOffset.FromUnixTimeSeconds(iat) : (DateTimeOffset?)null;
        if (issuedAt > now + clockSkew)
        {
            return RequestObjectResult.Refused("The request object was issued in the future.");
        }

        // The whole life counts, not what is left: an object made for a year is refused in its last hour too.
        var from = issuedAt ?? (jwt.ValidFrom == DateTime.MinValue ? now : new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero));
        if (expiresAt - from > MaxLifetime + clockSkew || expiresAt - now > MaxLifetime + clockSkew)
        {
            return RequestObjectResult.Refused("The request object lives too long (an hour at most).");
        }

        var parameters = new List<KeyValuePair<string, IReadOnlyList<string?>>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload)))
        {
            foreach (var claim in payload.RootElement.EnumerateObject())
            {
                if (!seen.Add(claim.Name))
                {
                    return RequestObjectResult.Refused($"The request object repeats the claim '{Shorten(claim.Name)}'.");
                }

                if (JwtClaims.Contains(claim.Name))
                {
                    continue;
                }

                string?[]? values = (claim.Name, claim.Value.ValueKind) switch
                {
                    (_, JsonValueKind.String) => [claim.Value.GetString()!],
                    ("max_age", JsonValueKind.Number) when claim.Value.TryGetInt32(out var maxAge) => [maxAge.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                    ("claims", JsonValueKind.Object) => [JsonSerializer.Serialize(claim.Value)],
                    // RFC 8707 §2: several resources, as an array of strings.
                    (_, JsonValueKind.Array) when RequestParameters.Repeatable.Contains(claim.Name) && claim.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                        => claim.Value.EnumerateArray().Select(e => e.GetString()).ToArray(),
                    _ => null,
                };
                if (values is null)
                {
                    return RequestObjectResult.Refused($"The request object's '{Shorten(claim.Name)}' must be a string.");
                }

                // Kept joined by spaces where stored: each resource must be one URI on its own.
                if (RequestParameters.Repeatable.Contains(claim.Name) && values.Any(v => v is null || v.Any(char.IsWhiteSpace)))
                {
                    return RequestObjectResult.Refused($"Each '{claim.Name}' must be one URI, without spaces.");
                }

                parameters.Add(new(claim.Name, values));
            }
        }

        var fromObject = new RequestParameters(parameters);
        if (fromObject["client_id"] is { } named && named != clientId)
        {
            return RequestObjectResult.Refused("The request object's client_id is not the client's.");
        }

        if (fromObject.Contains("request") || fromObject.Contains("request_uri"))
        {
            return RequestObjectResult.Refused("A request object may not carry request or request_uri.");
        }

        // The client_id stays what the request named: the object may leave it out (§4).
        parameters.RemoveAll(p => p.Key == "client_id");
        parameters.Add(new("client_id", [clientId]));
        return new RequestObjectResult(new RequestParameters(parameters), null, string.IsNullOrEmpty(jwt.Id) ? null : jwt.Id, expiresAt);
    }
}
