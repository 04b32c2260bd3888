using OAuthAspire.Protocol;

namespace OAuthAspire.Edge.Security;

/// <summary>The issuer and the audience the edge demands of access tokens.</summary>
public sealed record EdgeSettings(string Issuer, string Audience)
{
    public static EdgeSettings From(IConfiguration configuration, Issuer issuer) =>
        new(issuer.Value, configuration["OAuth:Audience"] is { Length: > 0 } audience ? audience : issuer.Url("/api"));
}
