namespace OAuthAspire.Protocol.Authorization;

/// <summary>What the authorization endpoint needs to know of a registered client.</summary>
public sealed record ClientProfile(string ClientId, bool Active, bool Public, bool PkceRequired, IReadOnlyList<string> RedirectUris,
    IReadOnlySet<string> GrantTypes)
{
    /// <summary>The APIs (resource identifiers, RFC 8707) the client may ask tokens for; empty allows every API.</summary>
    public IReadOnlyList<string> AllowedResources { get; init; } = [];
}
