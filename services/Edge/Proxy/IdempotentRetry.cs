using OAuthAspire.ServiceDefaults.Security;
using Yarp.ReverseProxy.Forwarder;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// Forwards through a handler that retries a request without a body (GET, HEAD, OPTIONS) when the
/// connection to the service failed or broke before a response: with replicas, the next connection
/// reaches another replica, so a replica dying mid-request costs the caller nothing. Requests with
/// a body are never retried: the service may have acted on them.
/// </summary>
public sealed class RetryingForwarderHttpClientFactory(InternalTls internalTls) : ForwarderHttpClientFactory
{
    /// <summary>With internal TLS, our services' certificates are checked against the internal authority alone.</summary>
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (context.ClusterId != EdgeRoutes.ApiCluster)
        {
            internalTls.Configure(handler);
        }
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new IdempotentRetryHandler(base.WrapHandler(context, handler));
}

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
