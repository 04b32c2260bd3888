using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.Protocol;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Authorize.OpenIdConnect;

/// <summary>What a previously issued ID token tells about the user and session it named.</summary>
public sealed record IdTokenHint(string Subject, string? SessionId, IReadOnlyList<string> Audiences);

/// <summary>An absent hint is valid; a present one is valid only when it is really ours.</summary>
public sealed record IdTokenHintResult(bool Valid, IdTokenHint? Hint)
{
    public static readonly IdTokenHintResult Absent = new(true, null);
    public static readonly IdTokenHintResult Invalid = new(false, null);
}

/// <summary>
/// Reads <c>id_token_hint</c>: an ID token of ours (RS256, our keys, our issuer). Expired hints are
/// fine (OpenID Connect Core §3.1.2.1, RP-Initiated Logout §2): they identify, they do not authorize.
/// </summary>
public sealed class IdTokenHints(JwksCache jwks, Issuer issuer)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<IdTokenHintResult> ReadAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is null)
        {
            return IdTokenHintResult.Absent;
        }

        if (!_handler.CanReadToken(token))
        {
            return IdTokenHintResult.Invalid;
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer.Value,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = ["JWT"],
            ValidAlgorithms = [.. SigningAlgorithms.Supported],
            IssuerSigningKeys = await jwks.KeysAsync(cancellationToken),
        };
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && await jwks.RefreshAsync(false, cancellationToken))
        {
            parameters.IssuerSigningKeys = await jwks.KeysAsync(cancellationToken);
            result = await _handler.ValidateTokenAsync(token, parameters);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || string.IsNullOrEmpty(jwt.Subject))
        {
            return IdTokenHintResult.Invalid;
        }

        jwt.TryGetPayloadValue<string>("sid", out var sid);
        return new IdTokenHintResult(true, new IdTokenHint(jwt.Subject, sid, jwt.Audiences.ToArray()));
    }
}
