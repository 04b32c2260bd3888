namespace OAuthAspire.Authorize.Authorization;

/// <summary>The authorization endpoint's settings (configuration section <c>Authorize</c>).</summary>
public sealed class AuthorizeOptions
{
    /// <summary>Refuse requests without <c>state</c> (ServiceNow's setting; on by default).</summary>
    public bool RequireState { get; set; } = true;
}
