using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// The EC P-256 keys of service identities: private keys as base64 PKCS#8, public keys as base64
/// SubjectPublicKeyInfo, and their key id, the RFC 7638 JWK thumbprint (base64url), which a token's
/// <c>kid</c> names so the callee checks it against that one key.
/// </summary>
public static class ServiceKeys
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    // What platforms call P-256 when they report a curve by name rather than by OID.
    private static readonly string[] P256Names = ["nistP256", "ECDSA_P256", "prime256v1", "secp256r1"];

    /// <summary>A new private key, as the AppHost's <c>service-key-*</c> parameters hold one.</summary>
    public static string NewPrivateKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Convert.ToBase64String(key.ExportPkcs8PrivateKey());
    }

    /// <summary>The public key (base64 SubjectPublicKeyInfo) of a private key (base64 PKCS#8).</summary>
    public static string PublicKeyOf(string privateKey)
    {
        using var key = ImportPrivate(privateKey);
        return Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    }

    /// <exception cref="FormatException">Not base64, or not a P-256 private key.</exception>
    public static ECDsa ImportPrivate(string privateKey)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKey), out _);
            RequireP256(key);
            return key;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            key.Dispose();
            throw new FormatException("Not a base64 PKCS#8 EC P-256 private key.", e);
        }
    }

    /// <summary>A verification key carrying its thumbprint as key id.</summary>
    /// <exception cref="FormatException">Not base64, or not a P-256 public key.</exception>
    public static ECDsaSecurityKey ImportPublic(string publicKey)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey), out _);
            RequireP256(key);
            return new ECDsaSecurityKey(key) { KeyId = KeyIdOf(key) };
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            key.Dispose();
            throw new FormatException("Not a base64 SubjectPublicKeyInfo EC P-256 public key.", e);
        }
    }

    /// <summary>The RFC 7638 thumbprint of the public key, base64url: what tokens name as <c>kid</c>.</summary>
    public static string KeyIdOf(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonWebKey
        {
            Kty = "EC",
            Crv = "P-256",
            X = Base64UrlEncoder.Encode(p.Q.X!),
            Y = Base64UrlEncoder.Encode(p.Q.Y!),
        };
        return Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
    }

    private static void RequireP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || !(curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is { } name && P256Names.Contains(name, StringComparer.OrdinalIgnoreCase)))
        {
            throw new CryptographicException("The key is not on curve P-256.");
        }
    }
}
