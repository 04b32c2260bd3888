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
