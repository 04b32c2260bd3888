namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The test system as a benchmark needs it: rate limits far above any load (they stay on), and
/// traces sampled at 1% as a busy deployment would (every span of every request costs CPU).
/// </summary>
public sealed class UnlimitedSystem(string? accessTokenAlgorithm = null) : SystemFixture
{
    protected override IReadOnlyDictionary<string, string> ExtraEnvironment { get; } = new Dictionary<string, string>
    {
        ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
        ["OTEL_TRACES_SAMPLER_ARG"] = "0.01",
    };

    protected override string[] ExtraArguments =>
    [
        "--RateLimits:ApiPerClient:Permits=100000000", "--RateLimits:TokenPerClient:Permits=100000000",
        "--RateLimits:TokenPerAddress:Permits=100000000", "--RateLimits:LoginPerUser:Permits=100000000",
        .. accessTokenAlgorithm is null ? Array.Empty<string>() : [$"--Services:token:Environment:Keys__Algorithm={accessTokenAlgorithm}"],
    ];
}
