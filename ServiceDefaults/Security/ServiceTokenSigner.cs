using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Signs this service's short-lived service tokens (ES256, <c>typ</c> <see cref="TokenType"/>,
/// <c>iss</c> = <c>sub</c> = this service, <c>aud</c> = the callee, 60 s) with its own key. One token
/// per audience is kept and handed to every call until less than 20 s of it remain, so calls never
/// wait for a signature; a callee caches its validation for as long.
/// </summary>
public sealed class ServiceTokenSigner : IDisposable
{
    public const string TokenType = "oauthaspire-service+jwt";

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>A token with less life than this left is replaced: it must outlive the call's trip and the callee's skew.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(20);

    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ConcurrentDictionary<string, SignedToken> _tokens = new(StringComparer.Ordinal);

    // One signature at a time: callers that all find the token stale sign it once, not each; and the
    // key object is never used by two threads at once.
    private readonly Lock _signing = new();

    /// <param name="key">Owned (disposed with the signer).</param>
    public ServiceTokenSigner(string name, ECDsa key, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _key = key;
        _time = time;
        KeyId = ServiceKeys.KeyIdOf(key);
        // A factory of its own that keeps no provider: IdentityModel's shared cache finds providers by
        // the key's thumbprint, so after this signer disposed its key, another signer of the same key
        // would be handed a provider bound to the disposed one. Signing is rare here; nothing is lost.
        var signingKey = new ECDsaSecurityKey(key)
        {
            KeyId = KeyId,
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
        _credentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>This service's name: the issuer of what it signs.</summary>
    public string Name { get; }

    /// <summary>The key's RFC 7638 thumbprint, the <c>kid</c> of every token.</summary>
    public string KeyId { get; }

    /// <summary>The current service token for calls to <paramref name="audience"/>.</summary>
    public string TokenFor(string audience)
    {
        if (Fresh(audience) is { } token)
        {
            return token;
        }

        lock (_signing)
        {
            if (Fresh(audience) is { } signed)
            {
                return signed;
            }

            var issued = SignLocked(audience, TokenType, Lifetime, claims: null);
            _tokens[audience] = issued;
            return issued.Token;
        }
    }

    /// <summary>A new token of this service for <paramref name="audience"/> with extra claims (the edge's identity assertions).</summary>
    public SignedToken Sign(string audience, string tokenType, TimeSpan lifetime, IReadOnlyDictionary<string, object>? claims = null)
    {
        lock (_signing)
        {
            return SignLocked(audience, tokenType, lifetime, claims);
        }
    }

    private string? Fresh(string audience) =>
        _tokens.TryGetValue(audience, out var issued) && issued.ExpiresAt - _time.GetUtcNow() >= RenewBefore ? issued.Token : null;

    private SignedToken SignLocked(string audience, string tokenType, TimeSpan lifetime, IReadOnlyDictionary<string, object>? claims)
    {
        // Whole seconds: JWT NumericDate.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt + lifetime;
        var payload = new Dictionary<string, object>(StringComparer.Ordinal);
        if (claims is not null)
        {
            foreach (var (type, value) in claims)
            {
                payload[type] = value;
            }
        }

        // What makes it a service token is not for the extra claims to change.
        payload[JwtRegisteredClaimNames.Sub] = claims?.GetValueOrDefault(JwtRegisteredClaimNames.Sub) ?? Name;
        payload[JwtRegisteredClaimNames.Jti] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Name,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            TokenType = tokenType,
            Claims = payload,
            SigningCredentials = _credentials,
        });
        return new SignedToken(token, expiresAt);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>A signed token and when it expires.</summary>
public sealed record SignedToken(string Token, DateTimeOffset ExpiresAt);
