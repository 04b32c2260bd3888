using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>A clock the test moves.</summary>
internal sealed class ManualClock : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public DateTimeOffset Now { get; set; } = Start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Service keys, signers and verifiers as the AppHost would configure them; tokens minted by hand for the bad cases.</summary>
internal static class ServiceIdentities
{
    public static ServiceTokenSigner Signer(string name, string privateKey, TimeProvider time) =>
        new(name, ServiceKeys.ImportPrivate(privateKey), time);

    /// <summary>A verifier named <paramref name="name"/> trusting each caller's keys (public keys of the private keys given).</summary>
    public static ServiceTokenVerifier Verifier(string? name, TimeProvider time, params (string Caller, string PrivateKey)[] trusted) =>
        new(Options(name, trusted), time);

    public static ServiceIdentityOptions Options(string? name, params (string Caller, string PrivateKey)[] trusted)
    {
        var options = new ServiceIdentityOptions { Name = name };
        foreach (var (caller, privateKey) in trusted)
        {
            if (!options.Trusted.TryGetValue(caller, out var keys))
            {
                options.Trusted[caller] = keys = [];
            }

            keys.Add(ServiceKeys.PublicKeyOf(privateKey));
        }

        return options;
    }

    /// <summary>A token written against the wire contract, with every part the test's choice.</summary>
    public static string Mint(string privateKey, string issuer, string audience, DateTimeOffset issuedAt, TimeSpan? life = null,
        string type = ServiceTokenSigner.TokenType, string? kid = null, string? subject = null)
    {
        using var ecdsa = ServiceKeys.ImportPrivate(privateKey);
        // No shared provider cache: it would hand the next token of this key a provider bound to this disposed one.
        var key = new ECDsaSecurityKey(ecdsa)
        {
            KeyId = kid ?? ServiceKeys.KeyIdOf(ecdsa),
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + (life ?? TimeSpan.FromSeconds(60))).UtcDateTime,
            TokenType = type,
            Claims = new Dictionary<string, object> { ["sub"] = subject ?? issuer, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }

    public static string KeyIdOf(string privateKey)
    {
        using var ecdsa = ServiceKeys.ImportPrivate(privateKey);
        return ServiceKeys.KeyIdOf(ecdsa);
    }

    /// <summary>The RFC 7638 thumbprint as IdentityModel computes it, from the private key (as callers who mint by hand do).</summary>
    public static string LibraryKeyIdOf(string privateKey)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
        return Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ecdsa)).ComputeJwkThumbprint());
    }
}
