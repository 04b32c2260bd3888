namespace OAuthAspire.Protocol.Policies;

/// <summary>The decision on an admitted caller's call to <c>/api/**</c>.</summary>
/// <param name="Scopes">The scopes that count (<see cref="ApiAccess.ScopesThatCount"/>): what the API is told.</param>
/// <param name="Policy">The API policy's decision; null on the admin APIs, which answer to their own rule alone.</param>
/// <param name="Challenge">A refusal's <c>WWW-Authenticate</c> value (403 insufficient_scope); null when allowed.</param>
/// <param name="Description">Why the call is refused; null when allowed.</param>
public readonly record struct ApiAccessDecision(string[] Scopes, ApiDecision? Policy, string? Challenge, string? Description)
{
    public bool Allowed => Challenge is null;
}
