namespace OAuthAspire.Functional.Tests;

/// <summary>The test system with rate limits raised far above any load: what benchmarks start (they measure speed, not the limiter).</summary>
public sealed class UnlimitedSystem : SystemFixture
{
    protected override string[] ExtraArguments =>
    [
        "--RateLimits:ApiPerClient:Permits=100000000", "--RateLimits:TokenPerClient:Permits=100000000",
        "--RateLimits:TokenPerAddress:Permits=100000000", "--RateLimits:LoginPerUser:Permits=100000000",
    ];
}
