using OAuthAspire.Protocol.Federation;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>
/// The admin API's trust (camelCase JSON). Omitted fields take the template's defaults. Every answer
/// carrying a trust also carries <c>warnings</c>: what the saved settings risk (a mutable user
/// claim, privileged users allowed), empty when nothing; read-only, ignored on input.
/// <c>providerClient</c> is our client at the provider (its introspection endpoint); its secret is
/// write-only: answers say only <c>secretSet</c>, and a save without one keeps the stored secret
/// while the client id stays the same. <c>opaqueTokens</c> present: the trust also takes opaque
/// access tokens, checked by the provider's introspection endpoint (<see cref="OpaqueTokens"/>).
/// <c>signIn</c> present: the login page offers "Sign in with …" through the provider, which
/// needs the provider client too (see <see cref="BrokeredSignIn"/>).
/// </summary>
public sealed record TrustDto(string? Name, string? Template, string? Issuer, string? MetadataUrl, string[]? ClientIds, string? UserClaim,
    string? UserField, string[]? Algorithms, int? ClockSkew, bool? JtiCheck, bool? AutoProvision, string[]? Scopes, bool? Active,
    bool? AllowPrivilegedUsers = null, ProviderClientDto? ProviderClient = null, OpaqueTokensDto? OpaqueTokens = null, SignInDto? SignIn = null)
{
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public TrustRecord ToRecord(Guid id)
    {
        var template = Template ?? TrustTemplates.Generic;
        var issuer = Issuer ?? "";
        return new TrustRecord
        {
            Id = id,
            Name = Name ?? "",
            Template = template,
            Issuer = issuer,
            MetadataUrl = MetadataUrl ?? (issuer.Length > 0 ? TrustTemplates.DefaultMetadataUrl(issuer) : ""),
            ClientIds = (ClientIds ?? []).Distinct().ToArray(),
            UserClaim = UserClaim ?? TrustTemplates.DefaultUserClaim(template),
            UserField = UserField ?? "user_name",
            Algorithms = Algorithms is { Length: > 0 } algorithms ? algorithms.Distinct().ToArray() : ["RS256"],
            ClockSkew = ClockSkew ?? 300,
            JtiCheck = JtiCheck ?? false,
            AutoProvision = AutoProvision ?? false,
            Scopes = (Scopes ?? []).Distinct().ToArray(),
            Active = Active ?? true,
            AllowPrivilegedUsers = AllowPrivilegedUsers ?? false,
            ProviderClientId = ProviderClient?.ClientId ?? (ProviderClient is null ? null : ""),
            ProviderClientAuth = ProviderClient?.AuthMethod ?? ProviderClientAuthMethods.Basic,
            OpaquePrefix = OpaqueTokens is null ? null : OpaqueTokens.Prefix ?? "",
            IntrospectionEndpoint = OpaqueTokens?.IntrospectionEndpoint ?? "",
            IntrospectionCacheSeconds = OpaqueTokens?.CacheSeconds ?? Protocol.Federation.OpaqueTokens.DefaultCacheSeconds,
            SignIn = SignIn is not null,
            SignInDisplayName = SignIn?.DisplayName ?? "",
            SignInLoginHint = SignIn?.LoginHint ?? false,
            SignInPassPrompt = SignIn?.PassPrompt ?? false,
            SignInEmailDomains = (SignIn?.EmailDomains ?? []).Select(d => d.Trim().ToLowerInvariant()).Distinct().ToArray(),
        };
    }
}

/// <summary>Our client at the provider. <c>clientSecret</c> is write-only; <c>authMethod</c>: client_secret_basic (default) or client_secret_post.</summary>
public sealed record ProviderClientDto(string? ClientId, string? ClientSecret, string? AuthMethod)
{
    /// <summary>Read-only: whether a secret is stored.</summary>
    public bool SecretSet { get; init; }
}

/// <summary>Opaque access tokens: the introspection endpoint (empty: from the metadata), the token prefix that routes to this trust, the answer cache.</summary>
public sealed record OpaqueTokensDto(string? IntrospectionEndpoint, string? Prefix, int? CacheSeconds);

/// <summary>
/// Signing in through the provider: the name on the button, whether to forward login_hint and
/// prompt/max_age, and the email domains whose users sign in here only (home-realm discovery).
/// The redirect URI to register at the provider is read-only: the issuer's
/// <c>/login/federated/{trust}/callback</c>.
/// </summary>
public sealed record SignInDto(string? DisplayName, bool? LoginHint, bool? PassPrompt, string[]? EmailDomains)
{
    public string? RedirectUri { get; init; }
}

/// <summary>How we authenticate to a provider's endpoints with our client's secret (RFC 6749 §2.3.1).</summary>
public static class ProviderClientAuthMethods
{
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";

    public static bool IsKnown(string method) => method is Basic or Post;
}
