namespace OAuthAspire.Protocol.Federation;

/// <summary>What a trust registration must satisfy (ProblemDetails name each field).</summary>
public static class TrustRules
{
    public const int MaxClockSkew = 600;

    /// <param name="urlProblem">Whether a URL may be fetched (https; http for loopback in development).</param>
    public static IReadOnlyDictionary<string, string> Problems(TrustSettings trust, Func<string, string?> urlProblem, IReadOnlySet<string> knownScopes)
    {
        var problems = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(trust.Name) || trust.Name.Length > 100 || trust.Name.Any(c => char.IsControl(c) || c is '/' or '?' or '#' or '%'))
        {
            problems["name"] = "is required: 1-100 characters, no control characters, / ? # or %";
        }

        if (!TrustTemplates.All.Contains(trust.Template))
        {
            problems["template"] = $"must be one of {string.Join(", ", TrustTemplates.All.Order())}";
        }

        if (urlProblem(trust.Issuer) is { } issuerUrl)
        {
            problems["issuer"] = issuerUrl;
        }
        else if (TrustTemplates.IssuerProblem(trust.Template, trust.Issuer) is { } issuerRule)
        {
            problems["issuer"] = issuerRule;
        }

        if (urlProblem(trust.MetadataUrl) is { } metadataUrl)
        {
            problems["metadataUrl"] = metadataUrl;
        }

        if (trust.ClientIds.Count == 0 || trust.ClientIds.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > 256))
        {
            problems["clientIds"] = "at least one: the audiences (client ids at the provider) its tokens must carry";
        }

        if (TrustTemplates.UserClaimProblem(trust.Template, trust.UserClaim) is { } claim)
        {
            problems["userClaim"] = claim;
        }

        if (!TrustTemplates.UserFields.Contains(trust.UserField))
        {
            problems["userField"] = "must be one of user_name, email, sys_id";
        }
        else if (trust.AutoProvision && trust.UserField == "sys_id")
        {
            problems["autoProvision"] = "cannot create users by sys_id: map user_name or email";
        }

        if (trust.Algorithms.Count == 0 || trust.Algorithms.Any(a => !TrustTemplates.Algorithms.Contains(a)))
        {
            problems["algorithms"] = "asymmetric algorithms only: RS256/384/512, PS256/384/512, ES256/384/512";
        }

        if (trust.ClockSkew is < 0 or > MaxClockSkew)
        {
            problems["clockSkew"] = $"must be 0-{MaxClockSkew} seconds";
        }

        if (trust.Scopes.FirstOrDefault(s => !knownScopes.Contains(s)) is { } unknown)
        {
            problems["scopes"] = $"unknown or inactive scope '{unknown}'";
        }

        if (trust.ProviderClientId is { } providerClientId && (string.IsNullOrWhiteSpace(providerClientId) || providerClientId.Length > 256))
        {
            problems["providerClient.clientId"] = "1-256 characters: our client id at the provider";
        }

        if (trust.OpaqueTokens is { } opaque && OpaqueTokens.Problem(opaque, trust.ProviderClientId, urlProblem) is var (field, problem))
        {
            problems[field] = problem;
        }

        if (trust.SignIn is { } signIn && BrokeredSignIn.Problem(signIn, trust.ProviderClientId) is var (signInField, signInProblem))
        {
            problems.TryAdd(signInField, signInProblem);
        }

        return problems;
    }

    /// <summary>
    /// What a valid registration should still make an administrator think twice about: answered
    /// with the saved trust, never a refusal.
    /// </summary>
    public static IReadOnlyList<string> Warnings(TrustSettings trust)
    {
        var warnings = new List<string>();
        if (TrustTemplates.IsMutable(trust.UserClaim))
        {
            warnings.Add($"userClaim '{trust.UserClaim}' is not stable: the provider's users or tenant administrators can change it. Prefer sub (oid for Azure AD). "
                + "Each provider subject (iss, sub) stays linked to the first user it mapped to"
                + (trust.UserClaim == ExternalTokens.EmailClaim ? ", and tokens must carry email_verified: true." : "."));
        }

        if (trust.AllowPrivilegedUsers)
        {
            warnings.Add("allowPrivilegedUsers: this provider's tokens may act as users holding an administrative role.");
        }

        return warnings;
    }
}
