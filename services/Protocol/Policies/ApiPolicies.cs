namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// REST API auth scopes (ServiceNow): an API with no policy is open to any valid token. Under a
/// policy the most specific matching rule decides, and the token needs one of its scopes; a call no
/// rule matches is refused. <c>useraccount</c> passes every policy check, matched or not (never the
/// admin APIs' rule, which the edge applies before any policy).
/// </summary>
public static class ApiPolicies
{
    public const string UserAccount = "useraccount";
    public const string AdminPrefix = "/api/admin";

    public static readonly IReadOnlySet<string> Methods = new HashSet<string>(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
    };

    /// <summary>
    /// A method as the API will see it: methods are matched and forwarded in capitals (YARP forwards
    /// <c>get</c> as <c>GET</c>, and ASP.NET Core routing ignores case), so <c>get</c> cannot slip past a <c>["GET"]</c> rule.
    /// </summary>
    public static string NormalizeMethod(string method) => method.ToUpperInvariant();

    /// <param name="method">The normalised method (<see cref="NormalizeMethod"/>).</param>
    /// <param name="path">The canonical path (<see cref="ApiPath.Canonicalize"/>).</param>
    /// <param name="scopes">The scopes that count: the token's, within the client's current allowed scopes.</param>
    public static ApiDecision Decide(IReadOnlyCollection<ApiPolicy> policies, string method, string path, IReadOnlySet<string> scopes) =>
        Decide(Find(policies, path), method, path, scopes);

    /// <param name="api">The policy of the API called (<see cref="Find"/>); null when it has none.</param>
    public static ApiDecision Decide(ApiPolicy? api, string method, string path, IReadOnlySet<string> scopes)
    {
        method = NormalizeMethod(method);
        if (api is not { } policy)
        {
            return ApiDecision.Open;
        }

        var best = policy.RuleTree.Best(method, path);
        if (scopes.Contains(UserAccount))
        {
            return new ApiDecision(true, best?.Scopes ?? [], policy.Name, "useraccount passes every API policy");
        }

        if (best is null)
        {
            return new ApiDecision(false, [], policy.Name, "no rule of the API's policy matches this call");
        }

        return best.Scopes.Any(scopes.Contains)
            ? new ApiDecision(true, best.Scopes, policy.Name, $"rule {best.Resource} allows")
            : new ApiDecision(false, best.Scopes, policy.Name, $"rule {best.Resource} needs one of: {string.Join(' ', best.Scopes)}");
    }

    /// <summary>The API a call is to: the policy with the longest base path above the canonical path; null when none is.</summary>
    public static ApiPolicy? Find(IReadOnlyCollection<ApiPolicy> policies, string path)
    {
        ApiPolicy? policy = null;
        foreach (var candidate in policies)
        {
            if (ApiPath.IsUnder(path, candidate.BasePath) && (policy is null || candidate.BasePath.Length > policy.BasePath.Length))
            {
                policy = candidate;
            }
        }

        return policy;
    }

    /// <summary>More literal segments first, then fewer wildcards, then rules naming their methods.</summary>
    internal static (int, int, int) Specificity(ApiRule rule)
    {
        var segments = rule.Resource.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return (segments.Count(s => s is not ("*" or "**")), -segments.Count(s => s is "*" or "**") * 2 - (segments.LastOrDefault() == "**" ? 1 : 0),
            rule.Methods.Count == 0 ? 0 : 1);
    }

    /// <summary>Null when the policy is acceptable, else field → message (for ProblemDetails).</summary>
    public static IReadOnlyDictionary<string, string> Problems(string? name, string? basePath, IReadOnlyList<ApiRule>? rules, IReadOnlySet<string> knownScopes)
    {
        var problems = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Any(char.IsControl))
        {
            problems["name"] = "is required: 1-100 characters";
        }

        if (basePath is null || ApiPath.Canonicalize(basePath, out _) != basePath || !basePath.StartsWith("/api/", StringComparison.Ordinal) || basePath.EndsWith('/')
            || basePath.Contains('*'))
        {
            problems["basePath"] = "must be a canonical path under /api/, without a trailing slash or wildcards";
        }
        else if (ApiPath.IsUnder(basePath, AdminPrefix) || basePath == "/api")
        {
            problems["basePath"] = "the admin APIs cannot be given a policy: they have their own rule";
        }

        if (rules is null || rules.Count == 0)
        {
            problems["rules"] = "at least one rule is needed";
        }

        for (var i = 0; i < (rules?.Count ?? 0); i++)
        {
            var rule = rules![i];
            if (rule.Methods.Any(m => !Methods.Contains(m)))
            {
                problems[$"rules[{i}].methods"] = "must be HTTP methods in capitals (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)";
            }

            if (PathPattern.Problem(rule.Resource) is { } patternProblem)
            {
                problems[$"rules[{i}].resource"] = patternProblem;
            }
            else if (basePath is not null && !ApiPath.IsUnder(rule.Resource.Replace("/**", "", StringComparison.Ordinal).Replace("/*", "/x", StringComparison.Ordinal), basePath))
            {
                problems[$"rules[{i}].resource"] = "must be under the API's base path";
            }

            if (rule.Scopes.Count == 0)
            {
                problems[$"rules[{i}].scopes"] = "at least one scope is needed";
            }
            else if (rule.Scopes.FirstOrDefault(s => !knownScopes.Contains(s)) is { } unknown)
            {
                problems[$"rules[{i}].scopes"] = $"unknown scope '{unknown}'";
            }
        }

        return problems;
    }
}
