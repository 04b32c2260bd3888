using OAuthAspire.Protocol.Errors;
using OAuthAspire.Protocol.Policies;
using OAuthAspire.Protocol.Requests;

namespace OAuthAspire.Protocol.Resources;

/// <summary>The audience and scopes of one access token (<see cref="ResourceIndicators.Target"/>), or why none is issued.</summary>
public readonly record struct TokenTarget(string Audience, IReadOnlyList<string> Scopes, ProtocolError? Error)
{
    public static TokenTarget Refused(string description) => new("", [], ProtocolError.InvalidTarget(description));
}

/// <summary>
/// Resource indicators (RFC 8707): which API a token is for. Every access token has exactly one
/// audience: an API's resource identifier, with the scopes narrowed to those the API's policy names
/// (so a scope never leaks to another API), or, when no resource was asked for, the issuer's
/// default audience with every granted scope (how tokens were before resource indicators).
/// </summary>
public static class ResourceIndicators
{
    public const string Parameter = "resource";
    public const int MaxPerRequest = 10;
    public const int MaxLength = 2048;

    /// <summary>
    /// The scope a narrowed token keeps whatever the API: <see cref="ApiPolicies.UserAccount"/> passes
    /// every API by design. The OpenID scopes are not kept: they would let any API replay its token at
    /// userinfo for the user's claims (the ID token carries them, from the whole grant).
    /// </summary>
    public static readonly IReadOnlySet<string> KeptScopes = new HashSet<string>(StringComparer.Ordinal) { ApiPolicies.UserAccount };

    /// <summary>RFC 3986 characters: anything else (quotes, backslashes, spaces, braces) is no URI and could break a header it is quoted in.</summary>
    private static bool IsUriCharacter(char c) =>
        char.IsAsciiLetterOrDigit(c) || "-._~:/?#[]@!$&'()*+,;=%".Contains(c);

    /// <summary>Why a value is no resource indicator (§2: an absolute URI without a fragment), or null.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || !value.All(IsUriCharacter))
        {
            return "must be an absolute URI of at most 2048 characters that URIs allow (RFC 3986)";
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.IsFile || value.StartsWith('/'))
        {
            return "must be an absolute URI";
        }

        return value.Contains('#') ? "must not have a fragment (RFC 8707 §2)" : null;
    }

    /// <summary>
    /// Checks the resources of an authorization request (several are allowed, §2.1): each a valid URI
    /// of a known API the client may use. Null when acceptable, else the <c>invalid_target</c> description.
    /// </summary>
    /// <param name="allowed">The client's allowed resources; empty allows every API.</param>
    public static string? CheckAuthorization(IReadOnlyList<string> resources, ApiResources known, IReadOnlyCollection<string> allowed)
    {
        if (resources.Count > MaxPerRequest)
        {
            return $"At most {MaxPerRequest} resources may be requested.";
        }

        foreach (var resource in resources)
        {
            if (Check(resource, known, allowed) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>
    /// The audience and scopes of the token a token request gets (§2.2).
    /// </summary>
    /// <param name="requested">The token request's <c>resource</c> values (at most one: one audience per token).</param>
    /// <param name="grant">
    /// The resources the grant was authorized for (codes and refresh tokens): the token's resource must
    /// be one of them, and none means the default audience only. Null where no earlier grant limits it
    /// (client credentials, password, assertions, token exchange).
    /// </param>
    /// <param name="scopes">The scopes granted.</param>
    /// <param name="allowed">The client's allowed resources; empty allows every API.</param>
    public static TokenTarget Target(IReadOnlyList<string> requested, IReadOnlyList<string>? grant, IReadOnlyList<string> scopes, ApiResources known,
        IReadOnlyCollection<string> allowed, string defaultAudience)
    {
        if (requested.Count > 1)
        {
            return TokenTarget.Refused("One resource per token request: each access token has one audience.");
        }

        string resource;
        if (requested.Count == 1)
        {
            resource = requested[0];
            if (grant is not null && !grant.Contains(resource, StringComparer.Ordinal))
            {
                return TokenTarget.Refused(grant.Count == 0
                    ? "The grant named no resource: its tokens are for the default audience only."
                    : "The resource is not among those the grant was authorized for.");
            }
        }
        else if (grant is { Count: > 1 })
        {
            return TokenTarget.Refused("The grant names several resources: name the one this token is for.");
        }
        else if (grant is [var only])
        {
            resource = only;
        }
        else if (allowed.Count == 0)
        {
            return new TokenTarget(defaultAudience, scopes, null);
        }
        else if (grant is null && allowed.Count == 1)
        {
            // A client limited to one API needs not name it; the default audience would reach every API.
            resource = allowed.First();
        }
        else
        {
            return TokenTarget.Refused("This client may have tokens only for its allowed APIs: name one with resource.");
        }

        if (Check(resource, known, allowed) is { } problem)
        {
            return TokenTarget.Refused(problem);
        }

        var narrowed = Narrow(scopes, known.Find(resource)!);
        return narrowed.Count > 0 ? new TokenTarget(resource, narrowed, null) : TokenTarget.Refused(NoScopeForApi);
    }

    private const string NoScopeForApi = "None of the granted scopes is used by this resource's API.";

    /// <summary>
    /// After the scopes of an authorization request are decided: each API it names must be served by
    /// one of them, or no token for it could ever be issued. Null when so, else the <c>invalid_target</c> description.
    /// </summary>
    public static string? CheckScopes(IReadOnlyList<string> resources, IReadOnlyList<string> scopes, ApiResources known) =>
        resources.Any(r => known.Find(r) is not { } policy || Narrow(scopes, policy).Count == 0) ? NoScopeForApi : null;

    /// <summary>
    /// The resources an authorization request is for: those it names, or, for a client limited to
    /// one API, that one; a client limited to several must name them. Null error when acceptable.
    /// </summary>
    public static (IReadOnlyList<string> Resources, string? Problem) ForAuthorization(IReadOnlyList<string> named, IReadOnlyList<string> allowed) =>
        named.Count > 0 || allowed.Count == 0 ? (named, null)
        : allowed.Count == 1 ? (allowed, null)
        : ([], "This client may have tokens only for its allowed APIs: name them with resource.");

    /// <summary>The scopes a token for <paramref name="policy"/> keeps: those its rules name, and <see cref="KeptScopes"/>.</summary>
    public static IReadOnlyList<string> Narrow(IReadOnlyList<string> scopes, ApiPolicy policy) =>
        scopes.Where(s => policy.Scopes.Contains(s) || KeptScopes.Contains(s)).ToArray();

    /// <summary>
    /// Whether a token with <paramref name="audience"/> is good at an API: at one with a policy, its
    /// resource identifier (or the default audience where the policy still accepts it); elsewhere
    /// (APIs without a policy, the admin APIs) the default audience only.
    /// </summary>
    public static bool Admits(ApiPolicy? policy, string audience, string defaultAudience) =>
        policy?.Resource is { } resource
            ? audience == resource || (policy.AcceptDefaultAudience && audience == defaultAudience)
            : audience == defaultAudience;

    /// <summary>The <c>resource</c> values of a request, or the <c>invalid_target</c> description when one is malformed.</summary>
    public static string? Read(RequestParameters parameters, out IReadOnlyList<string> resources)
    {
        resources = parameters.All(Parameter).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var resource in resources)
        {
            if (Problem(resource) is { } problem)
            {
                return $"The resource {problem}.";
            }
        }

        return null;
    }

    private static string? Check(string resource, ApiResources known, IReadOnlyCollection<string> allowed)
    {
        if (Problem(resource) is { } problem)
        {
            return $"The resource {problem}.";
        }

        if (known.Find(resource) is null)
        {
            return "The resource is not an API of this server.";
        }

        return allowed.Count > 0 && !allowed.Contains(resource, StringComparer.Ordinal) ? "The client may not request tokens for this resource." : null;
    }
}
