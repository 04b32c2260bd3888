using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OAuthAspire.Bench.Micro;

/// <summary>
/// The crypto floor: signing one access-token-sized JWT with RS256 (RSA 2048) and ES256 (P-256)
/// through Microsoft.IdentityModel, as the token service does. 1 / mean × cores is the most tokens
/// per second any signing server can issue on this machine.
/// </summary>
[MemoryDiagnoser]
public class SigningFloorBenchmarks
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private SecurityTokenDescriptor _rs256 = null!;
    private SecurityTokenDescriptor _es256 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = "http://localhost:8080", ["sub"] = "0123456789abcdef0123456789abcdef", ["aud"] = "http://localhost:8080/api",
            ["client_id"] = "0123456789abcdef0123456789abcdef", ["scope"] = "useraccount", ["jti"] = "b1f6c7d2e3a4958677a8b9c0d1e2f3a4",
            ["iat"] = 1_764_400_000L, ["exp"] = 1_764_401_800L, ["roles"] = new[] { "itil" },
        };
        _rs256 = Descriptor(new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rs" }, SecurityAlgorithms.RsaSha256), claims);
        _es256 = Descriptor(new SigningCredentials(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "es" }, SecurityAlgorithms.EcdsaSha256), claims);
    }

    private static SecurityTokenDescriptor Descriptor(SigningCredentials credentials, Dictionary<string, object> claims) =>
        new() { SigningCredentials = credentials, Claims = claims, TokenType = "at+jwt" };

    [Benchmark(Baseline = true)]
    public string Rs256() => _handler.CreateToken(_rs256);

    [Benchmark]
    public string Es256() => _handler.CreateToken(_es256);
}
