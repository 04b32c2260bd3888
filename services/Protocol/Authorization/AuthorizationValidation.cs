namespace OAuthAspire.Protocol.Authorization;

/// <summary>The outcome of validating an authorization request.</summary>
public abstract record AuthorizationValidation
{
    /// <summary>The client or redirect URI cannot be trusted: show an error page, never redirect (RFC 6749 §4.1.2.1).</summary>
    public sealed record ErrorPage(string Description) : AuthorizationValidation;

    /// <summary>Tell the client, at its verified redirect URI.</summary>
    public sealed record ErrorRedirect(string RedirectUri, string ResponseMode, string Error, string Description, string? State) : AuthorizationValidation;

    public sealed record Valid(ValidatedAuthorizationRequest Request) : AuthorizationValidation;
}
