using BenchmarkDotNet.Attributes;
using OAuthAspire.Protocol.Dpop;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Bench.Micro;

/// <summary>
/// What checking one DPoP proof costs the edge per API call (RFC 9449 §4.3: parse, key, signature,
/// claims, thumbprint), ES256 as most clients sign, beside the access token's own hash (ath).
/// </summary>
[MemoryDiagnoser]
public class DpopProofBenchmarks
{
    private const string Url = "https://id.example.com/api/now/table/incident";
    private readonly DpopProofValidator _validator = new();
    private readonly string _token = new string('a', 700);
    private DpopProofExpectations _expected = null!;
    private string[] _proof = null!;

    [GlobalSetup]
    public void Setup()
    {
        _expected = new DpopProofExpectations("GET", [DpopProtocol.NormalizeUri(Url)!], _token, TimeSpan.FromDays(3650), TimeSpan.FromSeconds(5));
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        var proof = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = DpopProtocol.ProofType,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256),
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                ["jwk"] = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(q.X), ["y"] = Base64UrlEncoder.Encode(q.Y) },
            },
            Claims = new Dictionary<string, object>
            {
                ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "GET", ["htu"] = Url, ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["ath"] = DpopProtocol.AccessTokenHash(_token),
            },
        });
        _proof = [proof];
        _ec = key;
        _q = q;
        _input = System.Text.Encoding.ASCII.GetBytes(proof[..proof.LastIndexOf('.')]);
        _signature = Base64UrlEncoder.DecodeBytes(proof[(proof.LastIndexOf('.') + 1)..]);
    }

    [Benchmark(Baseline = true)]
    public string AccessTokenHash() => DpopProtocol.AccessTokenHash(_token);

    private ECDsa _ec = null!;
    private ECPoint _q;
    private byte[] _input = null!;
    private byte[] _signature = null!;

    [Benchmark]
    public bool VerifyWithKeyAlreadyImported() => _ec.VerifyData(_input, _signature, HashAlgorithmName.SHA256);

    [Benchmark]
    public bool ImportKeyAndVerify()
    {
        using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = _q });
        return ec.VerifyData(_input, _signature, HashAlgorithmName.SHA256);
    }

    [Benchmark]
    public bool ValidateEs256Proof() => _validator.Validate(_proof, _expected, DateTimeOffset.UtcNow).IsValid;
}
