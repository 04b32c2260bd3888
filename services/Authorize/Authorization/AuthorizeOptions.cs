namespace OAuthAspire.Authorize.Authorization;

/// <summary>The authorization endpoint's settings (configuration section <c>Authorize</c>).</summary>
public sealed class AuthorizeOptions
{
    /// <summary>Refuse requests without <c>state</c> (ServiceNow's setting; on by default).</summary>
    public bool RequireState { get; set; } = true;

    /// <summary>RFC 9126 §5: take authorization requests only pushed first (<c>/oauth/par</c>), from every client.</summary>
    public bool RequirePushedAuthorizationRequests { get; set; }
}
