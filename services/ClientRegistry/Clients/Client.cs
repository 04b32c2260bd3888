using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OAuthAspire.Protocol.Assertions;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>A row of the application registry.</summary>
public sealed record ClientRecord
{
    public required string ClientId { get; init; }
    public required string Name { get; init; }
    public byte[]? SecretHash { get; init; }
    public bool Public { get; init; }
    public bool PkceRequired { get; init; }
    public string[] RedirectUris { get; init; } = [];
    public string[] PostLogoutRedirectUris { get; init; } = [];
    public string[] GrantTypes { get; init; } = [];
    public string[] Scopes { get; init; } = [];
    public string[] DefaultScopes { get; init; } = [];
    public int AccessTokenLifespan { get; init; } = 1800;
    public int RefreshTokenLifespan { get; init; } = 8_640_000;
    public string? ApplicationUserSysId { get; init; }
    public string? ApplicationUserName { get; init; }
    public bool CanIntrospect { get; init; }
    public string? LogoUrl { get; init; }
    public bool Active { get; init; } = true;
    public string[] Trusts { get; init; } = [];
    public string[] AllowedOrigins { get; init; } = [];
    public long Version { get; init; } = 1;

    /// <summary>The verifier settings as stored (JSON, never with the shared key).</summary>
    public string? JwtVerifier { get; init; }

    public byte[]? SharedKeyEnc { get; init; }

    public VerifierSettings? Verifier => JwtVerifier is null ? null : JsonSerializer.Deserialize<VerifierSettings>(JwtVerifier, JsonSerializerOptions.Web);

    public ClientDto ToDto() => new(Name, ClientId, Public, PkceRequired, RedirectUris, PostLogoutRedirectUris, GrantTypes, Scopes,
        DefaultScopes, AccessTokenLifespan, RefreshTokenLifespan, ApplicationUserName, CanIntrospect, LogoUrl, Active)
    {
        JwtVerifier = Verifier,
        Trusts = Trusts,
        AllowedOrigins = AllowedOrigins,
    };
}

/// <summary>
/// The admin API's OAuth application (camelCase JSON). <c>clientSecret</c> appears only in the
/// answer to a create or a rotation, the one time the secret is ever shown; it is ignored on input.
/// </summary>
public sealed record ClientDto(
    string? Name, string? ClientId, bool? Public, bool? PkceRequired, string[]? RedirectUris, string[]? PostLogoutRedirectUris,
    string[]? GrantTypes, string[]? Scopes, string[]? DefaultScopes, int? AccessTokenLifespan, int? RefreshTokenLifespan,
    string? ApplicationUser, bool? CanIntrospect, string? LogoUrl, bool? Active, string? ClientSecret = null)
{
    /// <summary>Keys and rules for the JWT bearer grant and private_key_jwt; <c>sharedKey</c> is write-only.</summary>
    public VerifierSettings? JwtVerifier { get; init; }

    /// <summary>Trusted identity providers whose tokens this client may exchange (token exchange).</summary>
    public string[]? Trusts { get; init; }

    /// <summary>
    /// Browser origins (<c>https://host[:port]</c>) whose pages may call the token, userinfo, revocation,
    /// discovery, JWKS and end-session endpoints (CORS). Omitted: the origins of the redirect URIs,
    /// recomputed on every write that omits it; empty: none.
    /// </summary>
    public string[]? AllowedOrigins { get; init; }
}

/// <summary>
/// Client secrets are 256-bit random values, shown once and stored only as SHA-256: for a value
/// that random, a fast hash is as safe as a slow one, and costs microseconds per token request.
/// </summary>
public static class ClientSecrets
{
    public static string Generate() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static readonly byte[] Decoy = new byte[32];

    /// <summary>Constant-time; an unknown client (null hash) costs the same and never matches.</summary>
    public static bool Matches(byte[]? storedHash, string presented)
    {
        var presentedHash = Hash(presented);
        var equal = CryptographicOperations.FixedTimeEquals(storedHash ?? Decoy, presentedHash);
        return storedHash is not null && equal;
    }
}
