namespace OAuthAspire.Protocol.Policies;

/// <summary>An API (a base path) whose calls need a linked scope.</summary>
/// <param name="Resource">
/// Its resource identifier (RFC 8707): the audience of the tokens issued for it. Null only where
/// the identifier is not known (a policy read before the upgrade that gave every policy one).
/// </param>
/// <param name="AcceptDefaultAudience">Whether tokens with the issuer's default audience (<c>{issuer}/api</c>) are good at this API too.</param>
public sealed record ApiPolicy(string Name, string BasePath, IReadOnlyList<ApiRule> Rules, string? Resource = null, bool AcceptDefaultAudience = true)
{
    /// <summary>Every scope a rule of this API names: what a token for it keeps (<see cref="Resources.ResourceIndicators.Narrow"/>).</summary>
    public IReadOnlySet<string> Scopes { get; } = Rules.SelectMany(r => r.Scopes).ToHashSet(StringComparer.Ordinal);

    /// <summary>The rules by path segment: a decision walks the call's path, not every rule.</summary>
    public ApiRuleTree RuleTree { get; } = new(Rules);
}
