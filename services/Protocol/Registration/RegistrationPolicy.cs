using OAuthAspire.Protocol.Clients;

namespace OAuthAspire.Protocol.Registration;

/// <summary>Which redirect URIs a self-registered client may have.</summary>
public enum RedirectRule
{
    /// <summary>https only: web applications.</summary>
    Https,

    /// <summary>Also what native apps use (RFC 8252): http on a loopback host (§7.3) and, for public clients, private-use schemes (§7.1).</summary>
    Native,
}

/// <summary>
/// What an administrator lets self-registered clients have: anything a registration asks for outside
/// it is refused, naming the field. Some things no policy can grant (<see cref="RegistrationPolicyRules"/>).
/// </summary>
/// <param name="GrantTypes">Grant types a client may ask for.</param>
/// <param name="Scopes">Scopes a client may ask for; a registration naming none gets them all.</param>
/// <param name="AuthMethods">Token endpoint authentication methods a client may ask for.</param>
/// <param name="AccessTokenLifespan">The access-token lifespan (seconds) its clients get.</param>
/// <param name="RefreshTokenLifespan">The refresh-token lifespan (seconds) its clients get.</param>
/// <param name="ApplicationUser">The user client-credentials tokens act as; without one, the grant is not offered.</param>
/// <param name="Statements">The issuer of software statements it trusts, if any.</param>
public sealed record RegistrationPolicy(string Name, IReadOnlyList<string> GrantTypes, IReadOnlyList<string> Scopes, IReadOnlyList<string> AuthMethods,
    RedirectRule RedirectUris, int AccessTokenLifespan, int RefreshTokenLifespan, string? ApplicationUser = null, SoftwareStatementTrust? Statements = null);

/// <summary>A registration checked against its policy (RFC 7591 §2: the server may refuse or replace what it does not allow).</summary>
public static class RegistrationPolicyRules
{
    /// <summary>Grants no self-registered client ever gets: they act without a user's consent on someone's behalf, or are legacy.</summary>
    public static readonly IReadOnlySet<string> NeverGrantTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        Protocol.GrantTypes.Password, Protocol.GrantTypes.Implicit, Protocol.GrantTypes.JwtBearer, Protocol.GrantTypes.TokenExchange,
    };

    /// <summary>Scopes no self-registered client ever gets.</summary>
    public static readonly IReadOnlySet<string> NeverScopes = new HashSet<string>(StringComparer.Ordinal) { "admin.api" };

    /// <summary>Why a policy itself cannot be saved, or null.</summary>
    public static string? CheckPolicy(RegistrationPolicy policy) =>
        policy.GrantTypes.FirstOrDefault(NeverGrantTypes.Contains) is { } grant ? $"grantTypes: '{grant}' is never given to self-registered clients"
        : policy.GrantTypes.FirstOrDefault(g => !Protocol.GrantTypes.All.Contains(g)) is { } unknown ? $"grantTypes: unknown grant type '{unknown}'"
        : policy.Scopes.FirstOrDefault(NeverScopes.Contains) is { } scope ? $"scopes: '{scope}' is never given to self-registered clients"
        : policy.AuthMethods.FirstOrDefault(m => !ClientMetadata.AuthMethods.Contains(m)) is { } method ? $"authMethods: unknown method '{method}'"
        : policy.GrantTypes.Contains(Protocol.GrantTypes.ClientCredentials) && policy.ApplicationUser is null
            ? "grantTypes: client_credentials needs an applicationUser for the clients' tokens to act as"
        : policy.AccessTokenLifespan is < 60 or > ClientRules.MaxAccessTokenLifespan ? $"accessTokenLifespan: 60 to {ClientRules.MaxAccessTokenLifespan} seconds"
        : policy.RefreshTokenLifespan is < 60 or > ClientRules.MaxRefreshTokenLifespan ? $"refreshTokenLifespan: 60 to {ClientRules.MaxRefreshTokenLifespan} seconds"
        : policy.Statements is { } trust && (trust.Issuer.Length is 0 or > 256 || trust.Issuer.Any(char.IsControl)) ? "softwareStatementIssuer: 1 to 256 characters"
        : policy.Statements is { } keyed && SoftwareStatement.ReadKeys(keyed.Jwks).Problem is { } keyProblem ? $"softwareStatementKeys: {keyProblem}"
        : null;

    /// <summary>The metadata checked against the policy; the scopes it gets (those asked for, or the policy's when none).</summary>
    public static (IReadOnlyList<string> Scopes, RegistrationError? Error) Apply(ClientMetadata metadata, RegistrationPolicy policy)
    {
        if (metadata.GrantTypes.FirstOrDefault(g => NeverGrantTypes.Contains(g) || !policy.GrantTypes.Contains(g)) is { } grant)
        {
            return ([], RegistrationError.Metadata("grant_types", $"'{grant}' is not allowed for self-registered clients"));
        }

        if (metadata.GrantTypes.Contains(Protocol.GrantTypes.ClientCredentials) && policy.ApplicationUser is null)
        {
            return ([], RegistrationError.Metadata("grant_types", "client_credentials is not allowed for self-registered clients"));
        }

        if (!policy.AuthMethods.Contains(metadata.TokenEndpointAuthMethod))
        {
            return ([], RegistrationError.Metadata("token_endpoint_auth_method", $"'{metadata.TokenEndpointAuthMethod}' is not allowed for self-registered clients"));
        }

        var scopes = metadata.Scope ?? policy.Scopes.Where(s => !NeverScopes.Contains(s)).ToArray();
        if (scopes.FirstOrDefault(s => NeverScopes.Contains(s) || !policy.Scopes.Contains(s)) is { } scope)
        {
            return ([], RegistrationError.Metadata("scope", $"'{scope}' is not allowed for self-registered clients"));
        }

        for (var i = 0; i < metadata.RedirectUris.Count; i++)
        {
            if (policy.RedirectUris == RedirectRule.Https && !metadata.RedirectUris[i].StartsWith("https://", StringComparison.Ordinal))
            {
                return ([], RegistrationError.RedirectUri(i, "self-registered clients must use https redirect URIs"));
            }
        }

        return (scopes, null);
    }
}
