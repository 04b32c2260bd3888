using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Scopes;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>Why an access token was not accepted.</summary>
public enum TokenFailure
{
    None,
    Malformed,
    /// <summary>Signed with a key we do not know (yet): the caller may refresh its keys once.</summary>
    UnknownKey,
    BadSignature,
    WrongType,
    WrongIssuer,
    WrongAudience,
    Expired,
    NotYetValid,
    MissingClaims,
}

public sealed record AccessTokenValidation(TokenFailure Failure, AccessTokenContent? Token, string? Detail = null)
{
    public bool IsValid => Failure == TokenFailure.None;
}

/// <summary>
/// Validates our own JWT access tokens: signature by one of the issuer's keys, <c>typ</c>
/// <c>at+jwt</c> (so an id_token never passes as an access token), issuer, audience, lifetime.
/// </summary>
public sealed class AccessTokenValidator
{
    private static readonly string[] Algorithms = [.. SigningAlgorithms.Supported];
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public Task<AccessTokenValidation> ValidateAsync(string token, string issuer, string audience,
        IEnumerable<SecurityKey> keys, TimeSpan clockSkew, DateTimeOffset? now = null) =>
        ValidateAsync(token, issuer, [audience], keys, clockSkew, now);

    /// <param name="audiences">The audiences accepted: the default one and the APIs' resource identifiers (RFC 8707); null accepts any.</param>
    public Task<AccessTokenValidation> ValidateAsync(string token, string issuer, IEnumerable<string>? audiences,
        IEnumerable<SecurityKey> keys, TimeSpan clockSkew, DateTimeOffset? now = null)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or System.Text.Json.JsonException)
        {
            return Task.FromResult(new AccessTokenValidation(TokenFailure.Malformed, null));
        }

        return ValidateAsync(jwt, issuer, audiences, keys, clockSkew, now);
    }

    /// <summary>Validates a token already parsed (the edge reads the issuer first to tell ours from a trusted provider's).</summary>
    public async Task<AccessTokenValidation> ValidateAsync(JsonWebToken token, string issuer, IEnumerable<string>? audiences,
        IEnumerable<SecurityKey> keys, TimeSpan clockSkew, DateTimeOffset? now = null)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudiences = audiences,
            ValidateAudience = audiences is not null,
            IssuerSigningKeys = keys,
            ValidTypes = [AccessToken.JwtType],
            ValidAlgorithms = Algorithms,
            ClockSkew = clockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            TryAllIssuerSigningKeys = false,
            LifetimeValidator = now is null ? null : (nbf, exp, _, p) => (exp is null || exp.Value + p.ClockSkew > now.Value.UtcDateTime) && (nbf is null || nbf.Value - p.ClockSkew <= now.Value.UtcDateTime),
        };

        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return new AccessTokenValidation(Classify(result.Exception), null, result.Exception?.GetType().Name);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        return Read(jwt) is { } content
            ? new AccessTokenValidation(TokenFailure.None, content)
            : new AccessTokenValidation(TokenFailure.MissingClaims, null);
    }

    /// <summary>The claims of a token already validated (or being inspected), or null when incomplete.</summary>
    public static AccessTokenContent? Read(JsonWebToken jwt)
    {
        if (!jwt.TryGetPayloadValue<string>("client_id", out var clientId) || string.IsNullOrEmpty(jwt.Id) || string.IsNullOrEmpty(jwt.Subject))
        {
            return null;
        }

        jwt.TryGetPayloadValue<string>("scope", out var scope);
        jwt.TryGetPayloadValue<string[]>("roles", out var roles);
        jwt.TryGetPayloadValue<string>("username", out var userName);
        // The handler keeps a JSON object claim as a JsonElement; anything else is no confirmation.
        var cnf = jwt.TryGetPayloadValue<JsonElement>(Confirmation.ClaimName, out var confirmation) ? Confirmation.FromClaimValue(confirmation) : null;
        ScopeSet.TryParse(scope, out var scopes);
        return new AccessTokenContent(jwt.Issuer, jwt.Audiences.FirstOrDefault() ?? "", clientId, jwt.Subject,
            scopes, roles ?? [], jwt.Id,
            new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero), new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), userName, cnf, jwt.Alg);
    }

    private static TokenFailure Classify(Exception? exception) => exception switch
    {
        SecurityTokenSignatureKeyNotFoundException => TokenFailure.UnknownKey,
        SecurityTokenInvalidSignatureException => TokenFailure.BadSignature,
        SecurityTokenInvalidTypeException => TokenFailure.WrongType,
        SecurityTokenInvalidIssuerException => TokenFailure.WrongIssuer,
        SecurityTokenInvalidAudienceException => TokenFailure.WrongAudience,
        SecurityTokenExpiredException => TokenFailure.Expired,
        SecurityTokenNotYetValidException => TokenFailure.NotYetValid,
        SecurityTokenInvalidAlgorithmException => TokenFailure.BadSignature,
        SecurityTokenInvalidLifetimeException => TokenFailure.Expired,
        _ => TokenFailure.Malformed,
    };
}
