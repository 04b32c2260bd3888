using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// The edge's signed statement of a caller's identity, for the APIs behind it (outside the trust
/// boundary: they hold no secret of ours). Sent in <see cref="Header"/> with calls the API cannot
/// check itself, those made with a trusted external provider's token: a JWT signed with the edge's
/// service key, <c>typ</c> <see cref="TokenType"/> (so no service token passes as one, nor one as
/// a service token), <c>iss</c> <c>edge</c>, <c>aud</c> the API audience, 60 s, with the claims
/// <c>sub</c>, <c>client_id</c>, <c>scope</c>, <c>roles</c>, <c>username</c>, <c>trust</c> and <c>token_binding</c>
/// (also sent for calls with a DPoP-bound token, whose proof the API would otherwise have to check again;
/// then also <c>htm</c> and <c>htu</c>, the method and path of that call, and the API refuses it for any other).
/// </summary>
public static class IdentityAssertion
{
    public const string Header = "X-OAuthAspire-Assertion";
    public const string TokenType = "oauthaspire-identity+jwt";

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>The audience of our APIs (what the edge demands of access tokens): <c>OAuth:Audience</c>, else the issuer + <c>/api</c>.</summary>
    public static string? AudienceFrom(IConfiguration configuration) =>
        configuration["OAuth:Audience"] is { Length: > 0 } audience ? audience
        : configuration["OAuth:Issuer"] is { Length: > 0 } issuer ? issuer + "/api"
        : null;

    internal static Dictionary<string, object> ClaimsOf(EdgeIdentity identity)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = identity.Subject,
            ["client_id"] = identity.ClientId,
            ["scope"] = string.Join(' ', identity.Scopes),
        };
        if (identity.Roles.Count > 0)
        {
            claims["roles"] = identity.Roles.ToArray();
        }

        if (identity.UserName is not null)
        {
            claims["username"] = identity.UserName;
        }

        if (identity.Trust is not null)
        {
            claims["trust"] = identity.Trust;
        }

        if (identity.Binding is not null)
        {
            claims["token_binding"] = identity.Binding;
        }

        // A checked proof was for one call: the statement of it is good for that call only.
        if (identity.Method is not null && identity.Path is not null)
        {
            claims["htm"] = identity.Method;
            claims["htu"] = identity.Path;
        }

        return claims;
    }

    /// <summary>The identity a validated assertion states, or null when it lacks a subject or client.</summary>
    internal static EdgeIdentity? Read(JsonWebToken jwt)
    {
        if (string.IsNullOrEmpty(jwt.Subject) || !jwt.TryGetPayloadValue<string>("client_id", out var clientId) || string.IsNullOrEmpty(clientId))
        {
            return null;
        }

        jwt.TryGetPayloadValue<string>("scope", out var scope);
        jwt.TryGetPayloadValue<string[]>("roles", out var roles);
        jwt.TryGetPayloadValue<string>("username", out var userName);
        jwt.TryGetPayloadValue<string>("trust", out var trust);
        jwt.TryGetPayloadValue<string>("token_binding", out var binding);
        jwt.TryGetPayloadValue<string>("htm", out var method);
        jwt.TryGetPayloadValue<string>("htu", out var path);
        return new EdgeIdentity(jwt.Subject, NullIfEmpty(userName), clientId,
            (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), roles ?? [], NullIfEmpty(trust), NullIfEmpty(binding),
            NullIfEmpty(method), NullIfEmpty(path));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
