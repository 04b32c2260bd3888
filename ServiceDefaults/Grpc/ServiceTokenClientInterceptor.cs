using Grpc.Core;
using Grpc.Core.Interceptors;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Grpc;

/// <summary>Adds the caller's cached service token for the callee, and the default deadline, to every call.</summary>
internal sealed class ServiceTokenClientInterceptor(ServiceTokenSigner signer, string audience) : Interceptor
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithServiceToken(context));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithServiceToken(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithServiceToken(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithServiceToken(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithServiceToken(context));

    private ClientInterceptorContext<TRequest, TResponse> WithServiceToken<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        // A copy: the caller's own Metadata may be reused for other calls.
        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? [])
        {
            if (!entry.Key.Equals(InternalGrpc.ServiceTokenHeader, StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(entry);
            }
        }

        headers.Add(InternalGrpc.ServiceTokenHeader, signer.TokenFor(audience));
        var options = context.Options.WithHeaders(headers);
        if (options.Deadline is null)
        {
            options = options.WithDeadline(DateTime.UtcNow + InternalGrpc.DefaultDeadline);
        }

        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
    }
}
