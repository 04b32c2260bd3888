namespace OAuthAspire.Protocol.Policies;

/// <summary>An API (a base path) whose calls need a linked scope.</summary>
public sealed record ApiPolicy(string Name, string BasePath, IReadOnlyList<ApiRule> Rules);
