using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.Protocol.Federation;

/// <summary>
/// A trust's acceptance of opaque (non-JWT) access tokens: each is checked by the provider's
/// RFC 7662 introspection endpoint, called with the trust's provider client credentials.
/// </summary>
public sealed record OpaqueTokenSettings
{
    /// <summary>Empty: the <c>introspection_endpoint</c> of the provider's metadata.</summary>
    public string IntrospectionEndpoint { get; init; } = "";

    /// <summary>
    /// Which opaque tokens are this trust's: those starting with the prefix (the longest matching
    /// prefix wins). Required: no trust takes every token, so nothing else (one of our own, another
    /// provider's) is ever sent to this provider.
    /// </summary>
    public string Prefix { get; init; } = "";

    /// <summary>How long an active answer is reused (never past the token's expiry).</summary>
    public int CacheSeconds { get; init; } = OpaqueTokens.DefaultCacheSeconds;
}

/// <summary>An introspection answer that passed every check, or the first check it failed.</summary>
public sealed record IntrospectionResult(AssertionFailure Failure, string Detail = "")
{
    public string Issuer { get; init; } = "";
    public string Subject { get; init; } = "";
    public string UserClaimValue { get; init; } = "";
    public DateTimeOffset ExpiresAt { get; init; }
    /// <summary>The provider's client the token was issued to: <c>client_id</c> when accepted, else the accepted audience.</summary>
    public string AuthorizedParty { get; init; } = "";
    public IReadOnlyList<string> Audiences { get; init; } = [];

    public bool IsValid => Failure == AssertionFailure.None;

    /// <summary>A short reason for the audit trail (never echoed to the caller).</summary>
    public string Reason => Detail.Length == 0 ? Failure.ToString() : $"{Failure}: {Detail}";
}

/// <summary>
/// Opaque tokens of trusted providers. Which trust a token belongs to is decided from the token
/// alone, before any call (<see cref="Route{T}"/>): a token is only ever sent to the one provider
/// whose prefix it carries. The provider's answer (<see cref="Check"/>) must say <c>active: true</c>
/// (JSON true, nothing else), not be a refresh token's or a sender-constrained token's (<c>cnf</c>), name an audience or <c>client_id</c> the trust accepts, carry
/// <c>exp</c> (within <see cref="ExternalTokens.MaxLifetime"/>) and <c>sub</c>, name the trust's
/// issuer when it names one, and hold the trust's user claim. A userinfo endpoint is never asked: it
/// proves only that the token is good for some client of the provider, not for one of ours.
/// </summary>
public static class OpaqueTokens
{
    public const int DefaultCacheSeconds = 60;
    public const int MaxCacheSeconds = 300;
    public const int MinPrefixLength = 3;
    public const int MaxPrefixLength = 64;

    /// <summary>Longer tokens are no provider's: never sent anywhere.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary>A JWS or JWE in compact form goes the JWT way; anything else is opaque.</summary>
    public static bool IsJwt(string token)
    {
        if (token.Count(c => c == '.') is not (2 or 4))
        {
            return false;
        }

        try
        {
            _ = new JsonWebToken(token);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException or JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The trust whose prefix is the longest that starts the token; null when none takes it, and for
    /// one of our own tokens (<see cref="Tokens.RefreshTokens.OwnPrefix"/>) or an oversized one.
    /// </summary>
    public static T? Route<T>(IEnumerable<T> trusts, Func<T, string> prefixOf, string token) where T : class =>
        Tokens.RefreshTokens.IsOwn(token) || token.Length > MaxTokenLength
            ? null
            : trusts.Where(t => prefixOf(t).Length > 0 && token.StartsWith(prefixOf(t), StringComparison.Ordinal)).MaxBy(t => prefixOf(t).Length);

    /// <summary>Null when the opaque-token settings hold, else (field, why not).</summary>
    public static (string Field, string Problem)? Problem(OpaqueTokenSettings opaque, string? providerClientId, Func<string, string?> urlProblem)
    {
        if (string.IsNullOrEmpty(providerClientId))
        {
            return ("providerClient", "is required to call the provider's introspection endpoint");
        }

        if (opaque.IntrospectionEndpoint.Length > 0 && urlProblem(opaque.IntrospectionEndpoint) is { } url)
        {
            return ("opaqueTokens.introspectionEndpoint", url);
        }

        if (opaque.Prefix.Length is < MinPrefixLength or > MaxPrefixLength || opaque.Prefix.Any(c => c is <= ' ' or > '~')
            || opaque.Prefix.StartsWith(Tokens.RefreshTokens.OwnPrefix, StringComparison.Ordinal)
            || Tokens.RefreshTokens.OwnPrefix.StartsWith(opaque.Prefix, StringComparison.Ordinal))
        {
            return ("opaqueTokens.prefix", $"is required: {MinPrefixLength}-{MaxPrefixLength} printable ASCII characters the provider's tokens start with, "
                + $"outside this issuer's own '{Tokens.RefreshTokens.OwnPrefix}'");
        }

        return opaque.CacheSeconds is < 0 or > MaxCacheSeconds ? ("opaqueTokens.cacheSeconds", $"must be 0-{MaxCacheSeconds}") : null;
    }

    public static IntrospectionResult Check(JsonElement answer, TrustSettings trust, DateTimeOffset now)
    {
        if (answer.ValueKind != JsonValueKind.Object)
        {
            return new IntrospectionResult(AssertionFailure.Malformed, "the introspection answer is not a JSON object");
        }

        if (!answer.TryGetProperty("active", out var active) || active.ValueKind != JsonValueKind.True)
        {
            return new IntrospectionResult(AssertionFailure.Inactive, "the provider says the token is not active");
        }

        // An access token only: not a refresh token the provider also introspects; and not a sender-constrained
        // one (cnf), whose proof of possession nobody here checks.
        if (Text(answer, "token_type") is { } tokenType && tokenType.Contains("refresh", StringComparison.OrdinalIgnoreCase))
        {
            return new IntrospectionResult(AssertionFailure.WrongType, "the provider says it is a refresh token");
        }

        if (answer.TryGetProperty("cnf", out _))
        {
            return new IntrospectionResult(AssertionFailure.WrongType, "a sender-constrained token (cnf): its proof of possession cannot be checked here");
        }

        var issuer = Text(answer, "iss");
        if (issuer is not null && issuer != trust.Issuer)
        {
            return new IntrospectionResult(AssertionFailure.WrongIssuer, "the introspection answer names another issuer");
        }

        var audiences = Audiences(answer);
        var clientId = Text(answer, "client_id");
        var accepted = clientId is not null && trust.ClientIds.Contains(clientId) ? clientId : audiences.FirstOrDefault(trust.ClientIds.Contains);
        if (accepted is null)
        {
            return new IntrospectionResult(AssertionFailure.WrongAudience, "neither aud nor client_id is an accepted client");
        }

        if (!answer.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expSeconds))
        {
            return new IntrospectionResult(AssertionFailure.Malformed, "the introspection answer has no numeric exp");
        }

        var skew = TimeSpan.FromSeconds(trust.ClockSkew);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(expSeconds, 0, 253402300799));
        if (expiresAt + skew <= now)
        {
            return new IntrospectionResult(AssertionFailure.Expired);
        }

        if (expiresAt - now > ExternalTokens.MaxLifetime)
        {
            return new IntrospectionResult(AssertionFailure.LifetimeTooLong);
        }

        if (answer.TryGetProperty("nbf", out var nbf) && nbf.TryGetInt64(out var nbfSeconds) && DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(nbfSeconds, 0, 253402300799)) - skew > now)
        {
            return new IntrospectionResult(AssertionFailure.NotYetValid);
        }

        if (Text(answer, "sub") is not { Length: > 0 } subject)
        {
            return new IntrospectionResult(AssertionFailure.MissingSubject, "the introspection answer has no sub");
        }

        if (Text(answer, trust.UserClaim) is not { } value || string.IsNullOrWhiteSpace(value))
        {
            return new IntrospectionResult(AssertionFailure.MissingClaim, trust.UserClaim);
        }

        // As for JWTs: an address the provider has not verified is only what its user typed in.
        if (trust.UserClaim == ExternalTokens.EmailClaim && !(answer.TryGetProperty("email_verified", out var verified) && verified.ValueKind == JsonValueKind.True))
        {
            return new IntrospectionResult(AssertionFailure.MissingClaim, "email_verified: true is required to map by email");
        }

        return new IntrospectionResult(AssertionFailure.None)
        {
            Issuer = trust.Issuer, Subject = subject, UserClaimValue = value, ExpiresAt = expiresAt, AuthorizedParty = accepted, Audiences = audiences,
        };
    }

    private static string? Text(JsonElement answer, string name) =>
        answer.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>RFC 7662 §2.2: <c>aud</c> is a string or an array of strings.</summary>
    private static string[] Audiences(JsonElement answer) =>
        !answer.TryGetProperty("aud", out var aud) ? []
        : aud.ValueKind == JsonValueKind.String ? [aud.GetString()!]
        : aud.ValueKind == JsonValueKind.Array ? [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!)]
        : [];
}
