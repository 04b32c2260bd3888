namespace OAuthAspire.Protocol.Policies;

/// <summary>One rule of an API's policy: methods (empty = all), a resource pattern, the scopes that pass.</summary>
public sealed record ApiRule(IReadOnlyList<string> Methods, string Resource, IReadOnlyList<string> Scopes);
