namespace OAuthAspire.Protocol.Authorization;

/// <summary>The authorization endpoint's configurable rules.</summary>
/// <param name="Resources">The APIs a request may name (RFC 8707); null checks only the form of the <c>resource</c> values.</param>
public sealed record AuthorizeSettings(bool RequireState = true, Resources.ApiResources? Resources = null);
