namespace OAuthAspire.Protocol.OpenIdConnect;

/// <summary>A user as the OpenID layer sees them.</summary>
public sealed record UserClaimsSource(string SysId, string UserName, string? Email, string FirstName, string LastName);

/// <summary>Standard claims released by scope (OpenID Connect Core §5.4).</summary>
public static class UserInfo
{
    public static readonly IReadOnlyList<string> ClaimsSupported =
    [
        "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "sid",
        "name", "given_name", "family_name", "preferred_username", "email", "email_verified",
    ];

    public static Dictionary<string, object> Claims(UserClaimsSource user, IReadOnlyCollection<string> scopes)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = user.SysId };
        if (scopes.Contains("profile"))
        {
            claims["preferred_username"] = user.UserName;
            var name = $"{user.FirstName} {user.LastName}".Trim();
            if (name.Length > 0)
            {
                claims["name"] = name;
            }

            if (user.FirstName.Length > 0)
            {
                claims["given_name"] = user.FirstName;
            }

            if (user.LastName.Length > 0)
            {
                claims["family_name"] = user.LastName;
            }
        }

        if (scopes.Contains("email") && user.Email is { Length: > 0 })
        {
            claims["email"] = user.Email;
            // Administrators type addresses in; nobody proved the user owns them.
            claims["email_verified"] = false;
        }

        return claims;
    }
}
