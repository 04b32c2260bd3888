namespace OAuthAspire.Protocol.Clients;

/// <summary>
/// Security profiles a client may be registered under. <see cref="Fapi2"/>: aligned with the FAPI 2.0
/// Security Profile (final): confidential, pushed requests with the redirect URI in the push, PKCE
/// S256, the code flow only, sender-constrained tokens (DPoP or mutual TLS), <c>private_key_jwt</c> or
/// mutual-TLS client authentication, PS256 or ES256 for what the server signs and what it accepts
/// from the client, a clock skew under a minute, refresh tokens that do not rotate, HTTPS only.
/// (Aligned, not certified: the certification suite needs Docker, which these machines lack.)
/// </summary>
public static class ClientProfiles
{
    public const string Fapi2 = "fapi2";

    /// <summary>FAPI 2.0 §5.3.2.1 / §5.3.3.1: iat and nbf up to 10 s ahead accepted, 60 s or more refused.</summary>
    public const int Fapi2ClockSkew = 30;

    public static bool IsKnown(string? profile) => profile is null or Fapi2;
}
