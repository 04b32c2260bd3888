namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// The admin APIs' own rule, as the services behind the edge enforce it again: the scope it needs
/// (named in the challenge), the test of the scopes that count and the roles, and what a refusal says is needed.
/// </summary>
public sealed record AdminRule(string Scope, Func<IReadOnlyList<string>, IReadOnlyList<string>, bool> Admits, string Needs = "an administrator role")
{
    public string Refusal => $"Admin APIs need the {Scope} scope and {Needs}.";
}
