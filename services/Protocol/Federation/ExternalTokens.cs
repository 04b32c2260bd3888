using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.Protocol.Assertions;

namespace OAuthAspire.Protocol.Federation;

/// <summary>An external token that passed every check, and the value of the trust's user claim.</summary>
public sealed record ExternalTokenResult(AssertionFailure Failure, AssertionClaims? Claims, string? UserClaimValue, string Detail = "")
{
    public bool IsValid => Failure == AssertionFailure.None;

    /// <summary>A short reason for the audit trail (never echoed to the caller).</summary>
    public string Reason => Detail.Length == 0 ? Failure.ToString() : $"{Failure}: {Detail}";
}

/// <summary>
/// Validates an ID or access token of a trusted provider: the exact issuer, a signature by one of
/// its published keys with an allowed asymmetric algorithm that fits the key (never <c>none</c>,
/// never an HMAC keyed with a public key), an accepted audience, the lifetime within the skew, a
/// one-time <c>jti</c> when the trust asks for it, and a non-empty user claim (an <c>email</c> only
/// with <c>email_verified: true</c>).
/// </summary>
public static class ExternalTokens
{
    /// <summary>Longer-lived tokens than this are not taken from anyone (Azure AD's longest is a day).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(26);

    public const string EmailClaim = "email";

    public static async Task<ExternalTokenResult> ValidateAsync(string token, TrustSettings trust, IReadOnlyCollection<Microsoft.IdentityModel.Tokens.SecurityKey> keys,
        DateTimeOffset now, Func<string, DateTimeOffset, ValueTask<bool>>? useJti = null)
    {
        var policy = new AssertionPolicy(trust.Algorithms.Where(TrustTemplates.Algorithms.Contains).ToArray(), TimeSpan.FromSeconds(trust.ClockSkew),
            MaxLifetime, [], trust.JtiCheck);
        var result = await JwtAssertion.ValidateAsync(token, keys, policy, new AssertionExpectations(trust.Issuer, trust.ClientIds), now, useJti);
        if (!result.IsValid)
        {
            return new ExternalTokenResult(result.Failure, null, null, result.Detail);
        }

        var jwt = result.Claims!.Token;
        if (!jwt.TryGetPayloadValue<string>(trust.UserClaim, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return new ExternalTokenResult(AssertionFailure.MissingClaim, null, null, trust.UserClaim);
        }

        // An address the provider has not verified is only what its user typed in.
        return trust.UserClaim == EmailClaim && !EmailVerified(jwt)
            ? new ExternalTokenResult(AssertionFailure.MissingClaim, null, null, $"email_verified: true is required to map by email (it is {EmailVerifiedAsSent(jwt)})")
            : new ExternalTokenResult(AssertionFailure.None, result.Claims, value);
    }

    private static string EmailVerifiedAsSent(JsonWebToken token) =>
        !token.TryGetPayloadValue<object>("email_verified", out var verified) || verified is null ? "absent"
        : verified is string ? "a string"
        : verified is bool b ? (b ? "true" : "false")
        : "not a boolean";

    /// <summary>A JSON <c>true</c> only: not the string "true", not a missing claim.</summary>
    public static bool EmailVerified(JsonWebToken token) =>
        token.TryGetPayloadValue<object>("email_verified", out var verified) && verified is true;
}
