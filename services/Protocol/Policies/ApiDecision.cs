namespace OAuthAspire.Protocol.Policies;

/// <summary>Whether a call passes the API policies; when refused, the scopes that would have passed it.</summary>
public sealed record ApiDecision(bool Allowed, IReadOnlyList<string> RequiredScopes, string? Policy, string Reason)
{
    public static ApiDecision Open { get; } = new(true, [], null, "no policy covers this API");
}
