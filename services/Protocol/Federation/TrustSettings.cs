using System.Text.RegularExpressions;

namespace OAuthAspire.Protocol.Federation;

/// <summary>A trusted external identity provider whose tokens may call our APIs (or be exchanged for ours).</summary>
public sealed record TrustSettings
{
    public required string Name { get; init; }
    public string Template { get; init; } = TrustTemplates.Generic;
    public required string Issuer { get; init; }
    public required string MetadataUrl { get; init; }
    /// <summary>The token's <c>aud</c> must contain one of these (the provider's client ids of our applications).</summary>
    public required IReadOnlyList<string> ClientIds { get; init; }
    public string UserClaim { get; init; } = "sub";
    public string UserField { get; init; } = "user_name";
    public IReadOnlyList<string> Algorithms { get; init; } = ["RS256"];
    public int ClockSkew { get; init; } = 300;
    public bool JtiCheck { get; init; }
    public bool AutoProvision { get; init; }
    /// <summary>Granted to its tokens; none by default, so they reach only APIs without a policy.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];
    public bool Active { get; init; } = true;
    /// <summary>
    /// Whether its tokens may stand for a user holding an administrative role. Off: else whoever
    /// controls the mapped claim at the provider would act with an administrator's roles.
    /// </summary>
    public bool AllowPrivilegedUsers { get; init; }
    /// <summary>Our client at the provider (introspection, sign-in); its secret is kept by federation-trust alone.</summary>
    public string? ProviderClientId { get; init; }
    /// <summary>Null: the trust takes JWTs only.</summary>
    public OpaqueTokenSettings? OpaqueTokens { get; init; }
    /// <summary>Null: users cannot sign in through the provider on our login page.</summary>
    public SignInSettings? SignIn { get; init; }
}
