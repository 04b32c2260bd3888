namespace OAuthAspire.Testing;

/// <summary>
/// The test system as a benchmark needs it: rate limits far above any load (they stay on), and
/// traces sampled at 1% as a busy deployment would (every span of every request costs CPU).
/// <c>BENCH_SERVICE_ENV="NAME=value;..."</c> adds environment variables to every service, to try
/// a runtime setting without a rebuild.
/// </summary>
public sealed class UnlimitedSystem(string? accessTokenAlgorithm = null) : SystemFixture
{
    protected override IReadOnlyDictionary<string, string> ExtraEnvironment { get; } = new Dictionary<string, string>
    {
        ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
        ["OTEL_TRACES_SAMPLER_ARG"] = "0.01",
    }.Concat((Environment.GetEnvironmentVariable("BENCH_SERVICE_ENV") ?? "")
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(pair => pair.Split('=', 2))
        .Select(pair => KeyValuePair.Create(pair[0], pair[1])))
        .ToDictionary();

    protected override string[] ExtraArguments =>
    [
        "--RateLimits:ApiPerClient:Permits=100000000", "--RateLimits:TokenPerClient:Permits=100000000",
        "--RateLimits:TokenPerAddress:Permits=100000000", "--RateLimits:LoginPerUser:Permits=100000000",
        "--RateLimits:ApiPerAddress:Permits=100000000", "--RateLimits:AuthorizePerAddress:Permits=100000000",
        "--RateLimits:DeviceAuthorizationPerAddress:Permits=100000000", "--RateLimits:RegistrationPerAddress:Permits=100000000",
        "--RateLimits:TokenAuthFailuresPerAddress:Permits=100000000",
        // Housekeeping hourly as in production, not every 2 s as the tests want: a bench's seeded expired records stay until it purges them.
        "--Services:token:Environment:Housekeeping__Interval=01:00:00",
        .. accessTokenAlgorithm is null ? Array.Empty<string>() : [$"--Services:token:Environment:Keys__Algorithm={accessTokenAlgorithm}"],
    ];
}
