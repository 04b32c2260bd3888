namespace OAuthAspire.Edge.Proxy;

/// <summary>Retries a request without a body when the connection failed or broke before a response (<see cref="RetryingForwarderHttpClientFactory"/>).</summary>
public sealed class IdempotentRetryHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const int Attempts = 3;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!IsRetryable(request))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < Attempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Pause * attempt, cancellationToken);
            }
        }
    }

    private static bool IsRetryable(HttpRequestMessage request) =>
        request.Content is null or { Headers.ContentLength: 0 }
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options);
}
