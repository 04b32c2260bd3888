namespace OAuthAspire.Protocol.Authorization;

/// <summary>The authorization endpoint's configurable rules.</summary>
public sealed record AuthorizeSettings(bool RequireState = true);
