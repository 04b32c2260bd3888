namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// The admin APIs' own rule, as the services behind the edge enforce it again: the scope it needs
/// (named in the challenge) and the test of the scopes that count and the roles.
/// </summary>
public sealed record AdminRule(string Scope, Func<IReadOnlyList<string>, IReadOnlyList<string>, bool> Admits);
