namespace OAuthAspire.Protocol;

/// <summary>Grant type identifiers (RFC 6749, 7523, 8693) and which clients may use them.</summary>
public static class GrantTypes
{
    public const string AuthorizationCode = "authorization_code";
    public const string ClientCredentials = "client_credentials";
    public const string Password = "password";
    public const string RefreshToken = "refresh_token";
    public const string Implicit = "implicit";
    public const string JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>RFC 8628 §3.4: a device without a browser polls for the tokens a user approves elsewhere.</summary>
    public const string DeviceCode = "urn:ietf:params:oauth:grant-type:device_code";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        AuthorizationCode, ClientCredentials, Password, RefreshToken, Implicit, JwtBearer, TokenExchange, DeviceCode,
    };

    /// <summary>A public client holds no secret: it may only take part in flows where a user signs in (RFC 8628 §3.1: devices are mostly public clients).</summary>
    public static readonly IReadOnlySet<string> AllowedForPublicClients = new HashSet<string>(StringComparer.Ordinal)
    {
        AuthorizationCode, RefreshToken, Implicit, DeviceCode,
    };

    /// <summary>Grants served at the token endpoint (implicit is front-channel only).</summary>
    public static readonly IReadOnlySet<string> TokenEndpoint = new HashSet<string>(StringComparer.Ordinal)
    {
        AuthorizationCode, ClientCredentials, Password, RefreshToken, JwtBearer, TokenExchange, DeviceCode,
    };
}
