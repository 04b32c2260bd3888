using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Bench.Micro;

/// <summary>
/// What zero trust inside adds to each internal call (issue 17): the caller takes its cached service
/// token, the callee finds it among the tokens it verified; a full ES256 verification happens once
/// per token (every 40 s per caller and callee), shown for scale.
/// </summary>
[MemoryDiagnoser]
public class ServiceTokenBenchmarks
{
    private ServiceTokenSigner _signer = null!;
    private ServiceTokenVerifier _remembering = null!;
    private ServiceTokenVerifier _forgetful = null!;
    private string[] _tokens = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privateKey = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
        var options = new ServiceIdentityOptions
        {
            Name = "token",
            Trusted = new(StringComparer.Ordinal) { ["edge"] = [ServiceKeys.PublicKeyOf(privateKey)] },
        };
        _signer = new ServiceTokenSigner("edge", ServiceKeys.ImportPrivate(privateKey), TimeProvider.System);
        _remembering = new ServiceTokenVerifier(options, TimeProvider.System);
        // Room for one: two tokens taken in turn are never found, so each is verified in full.
        _forgetful = new ServiceTokenVerifier(options, TimeProvider.System, cacheCapacity: 1);
        _tokens = [_signer.Sign("token", ServiceTokenSigner.TokenType, ServiceTokenSigner.Lifetime).Token,
            _signer.Sign("token", ServiceTokenSigner.TokenType, ServiceTokenSigner.Lifetime).Token];
        _remembering.VerifyAsync(_signer.TokenFor("token")).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _signer.Dispose();

    [Benchmark(Baseline = true)]
    public string CallerTakesItsCachedToken() => _signer.TokenFor("token");

    [Benchmark]
    public async Task<string?> CalleeFindsAVerifiedToken() => (await _remembering.VerifyAsync(_signer.TokenFor("token"))).Caller;

    [Benchmark]
    public async Task<string?> CalleeVerifiesANewTokenInFull() => (await _forgetful.VerifyAsync(_tokens[_next++ & 1])).Caller;
}
