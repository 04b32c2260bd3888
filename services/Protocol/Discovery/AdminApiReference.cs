namespace OAuthAspire.Protocol.Discovery;

/// <summary>Where the admin API's contract and reference live, and the public client its "try it" signs in with.</summary>
public static class AdminApiReference
{
    public const string DocumentPath = "/api/admin/openapi.json";

    public const string DocsPath = "/api/admin/docs";

    /// <summary>The reference page itself (it answers <see cref="DocsPath"/> with a redirect here, which would drop a code's query).</summary>
    public const string DocsRedirectPath = DocsPath + "/";

    /// <summary>Registered once by the client registry: public, authorization code with PKCE, redirect URI <c>{issuer}/api/admin/docs/</c>.</summary>
    public const string DocsClientId = "oauthaspire-api-docs";
}
