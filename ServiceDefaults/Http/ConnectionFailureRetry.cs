using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// Retries a call only when the connection could not be made, so the callee never saw it.
/// Every gRPC call is a POST: retrying after the callee acted could double a lockout count or
/// mint a second code, so timeouts, resets and error statuses are never retried here. This
/// also covers start-up, where services call each other before the callee listens.
/// </summary>
public static class ConnectionFailureRetry
{
    public static IHttpClientBuilder AddConnectionFailureRetry(this IHttpClientBuilder http)
    {
        http.AddResilienceHandler("connection-failure-retry", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(IsConnectionFailure(args.Outcome.Exception)),
            MaxRetryAttempts = 10,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(3),
            UseJitter = true,
        }));
        return http;
    }

    public static bool IsConnectionFailure(Exception? exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
}
