namespace OAuthAspire.Protocol.Authorization;

/// <summary>What the authorization endpoint needs to know of a registered client.</summary>
public sealed record ClientProfile(string ClientId, bool Active, bool Public, bool PkceRequired, IReadOnlyList<string> RedirectUris,
    IReadOnlySet<string> GrantTypes);
