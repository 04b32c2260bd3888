namespace OAuthAspire.Token.Issuance;

/// <summary>The audience of our access tokens: the API resource identifier.</summary>
public sealed record TokenSettings(string Audience)
{
    public static TokenSettings From(IConfiguration configuration, Protocol.Issuer issuer) =>
        new(configuration["OAuth:Audience"] is { Length: > 0 } audience ? audience : issuer.Url("/api"));
}
