using OAuthAspire.Protocol.Federation;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>A trust as stored.</summary>
public sealed record TrustRecord
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Template { get; init; } = TrustTemplates.Generic;
    public string Issuer { get; init; } = "";
    public string MetadataUrl { get; init; } = "";
    public string[] ClientIds { get; init; } = [];
    public string UserClaim { get; init; } = "sub";
    public string UserField { get; init; } = "user_name";
    public string[] Algorithms { get; init; } = [];
    public int ClockSkew { get; init; }
    public bool JtiCheck { get; init; }
    public bool AutoProvision { get; init; }
    public string[] Scopes { get; init; } = [];
    public bool Active { get; init; }
    public bool AllowPrivilegedUsers { get; init; }
    public string? ProviderClientId { get; init; }
    /// <summary>Sealed by <see cref="ProviderSecrets"/>; never leaves this service in the clear but towards the provider.</summary>
    public byte[]? ProviderClientSecret { get; init; }
    public string ProviderClientAuth { get; init; } = ProviderClientAuthMethods.Basic;
    /// <summary>Null: the trust takes JWTs only.</summary>
    public string? OpaquePrefix { get; init; }
    public string IntrospectionEndpoint { get; init; } = "";
    public int IntrospectionCacheSeconds { get; init; } = Protocol.Federation.OpaqueTokens.DefaultCacheSeconds;
    public bool SignIn { get; init; }
    public string SignInDisplayName { get; init; } = "";
    public bool SignInLoginHint { get; init; }
    public bool SignInPassPrompt { get; init; }
    public string[] SignInEmailDomains { get; init; } = [];

    public SignInSettings? SignInSettings => SignIn
        ? new SignInSettings { DisplayName = SignInDisplayName, LoginHint = SignInLoginHint, PassPrompt = SignInPassPrompt, EmailDomains = SignInEmailDomains }
        : null;

    /// <summary>What the login page shows.</summary>
    public string ShownName => SignInDisplayName.Length > 0 ? SignInDisplayName : Name;

    public OpaqueTokenSettings? OpaqueTokens => OpaquePrefix is null
        ? null
        : new OpaqueTokenSettings { Prefix = OpaquePrefix, IntrospectionEndpoint = IntrospectionEndpoint, CacheSeconds = IntrospectionCacheSeconds };

    public TrustSettings Settings => new()
    {
        Name = Name, Template = Template, Issuer = Issuer, MetadataUrl = MetadataUrl, ClientIds = ClientIds, UserClaim = UserClaim,
        UserField = UserField, Algorithms = Algorithms, ClockSkew = ClockSkew, JtiCheck = JtiCheck, AutoProvision = AutoProvision,
        Scopes = Scopes, Active = Active, AllowPrivilegedUsers = AllowPrivilegedUsers, ProviderClientId = ProviderClientId, OpaqueTokens = OpaqueTokens,
        SignIn = SignInSettings,
    };

    /// <param name="issuer">Our issuer, for the redirect URI to register at the provider (sign-in).</param>
    public TrustDto ToDto(string issuer = "") => new(Name, Template, Issuer, MetadataUrl, ClientIds, UserClaim, UserField, Algorithms, ClockSkew, JtiCheck, AutoProvision,
        Scopes, Active, AllowPrivilegedUsers,
        ProviderClientId is null ? null : new ProviderClientDto(ProviderClientId, null, ProviderClientAuth) { SecretSet = ProviderClientSecret is not null },
        OpaqueTokens is { } opaque ? new OpaqueTokensDto(opaque.IntrospectionEndpoint, opaque.Prefix, opaque.CacheSeconds) : null,
        SignIn ? new SignInDto(SignInDisplayName, SignInLoginHint, SignInPassPrompt, SignInEmailDomains)
        {
            RedirectUri = issuer.Length > 0 ? BrokeredSignIn.RedirectUri(issuer, Name) : null,
        } : null)
    {
        Warnings = TrustRules.Warnings(Settings),
    };
}
