using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Testing;

/// <summary>
/// A client's DPoP key (RFC 9449), as an integrator holds one: signs proofs for a method and URL,
/// with the access token's hash and the server's nonce when given. Built on Microsoft.IdentityModel
/// only, so the proofs do not depend on the server's own code.
/// </summary>
public sealed class DpopKey
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials;
    private readonly Dictionary<string, object> _publicJwk;

    public DpopKey(string algorithm = SecurityAlgorithms.EcdsaSha256)
    {
        SecurityKey key;
        if (algorithm.StartsWith("ES", StringComparison.Ordinal))
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var p = ec.ExportParameters(false);
            key = new ECDsaSecurityKey(ec);
            _publicJwk = new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        }
        else
        {
            var rsa = RSA.Create(2048);
            var p = rsa.ExportParameters(false);
            key = new RsaSecurityKey(rsa);
            _publicJwk = new() { ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        }

        _credentials = new SigningCredentials(key, algorithm);
        var jwk = _publicJwk.Count == 4
            ? new JsonWebKey { Kty = "EC", Crv = "P-256", X = (string)_publicJwk["x"], Y = (string)_publicJwk["y"] }
            : new JsonWebKey { Kty = "RSA", N = (string)_publicJwk["n"], E = (string)_publicJwk["e"] };
        Jkt = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
    }

    /// <summary>The key's RFC 7638 SHA-256 thumbprint: what a bound token's <c>cnf.jkt</c> names.</summary>
    public string Jkt { get; }

    public string Proof(string method, string url, string? accessToken = null, string? nonce = null, DateTimeOffset? issuedAt = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["htm"] = method,
            ["htu"] = url,
            ["iat"] = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(accessToken)));
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = "dpop+jwt",
            SigningCredentials = _credentials,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = _publicJwk },
        });
    }

    /// <summary>A request carrying a bound token and a proof for it.</summary>
    /// <param name="url">Where the proof says the request goes (htu); also where it is sent, unless <paramref name="sendTo"/> says otherwise.</param>
    /// <param name="sendTo">Another address to send it to (one replica's, say: the proof still names the issuer's URL).</param>
    public HttpRequestMessage Request(HttpMethod method, string url, string accessToken, string? nonce = null, string? sendTo = null)
    {
        var request = new HttpRequestMessage(method, sendTo ?? url);
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
        request.Headers.Add("DPoP", Proof(method.Method, url, accessToken, nonce));
        return request;
    }

    /// <summary>The server nonce an answer offered (RFC 9449 §8), if any.</summary>
    public static string? NonceOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("DPoP-Nonce", out var values) ? values.Single() : null;
}
