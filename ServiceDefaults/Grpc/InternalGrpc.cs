using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Grpc.AspNetCore.Server;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.ServiceDefaults.Grpc;

/// <summary>
/// Internal gRPC between services: h2c on each service's "grpc" endpoint, found through service
/// discovery, every call carrying the internal key and a deadline.
/// </summary>
public static class InternalGrpc
{
    /// <summary>Deadline for calls that set none: a stuck callee must not hold a request forever.</summary>
    // 20 s: long enough for a callee that is restarting (a service start takes about 10 s on two
    // busy cores) to be waited for rather than reported away; short enough to free the request.
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(20);

    /// <summary>Serves gRPC, refusing calls without the internal key.</summary>
    public static IGrpcServerBuilder AddInternalGrpcServer(this IServiceCollection services) =>
        services.AddGrpc(o =>
        {
            o.Interceptors.Add<InternalKeyServerInterceptor>();
            o.Interceptors.Add<UnavailableDependencyInterceptor>();
        });

    /// <summary>
    /// A typed client for <paramref name="serviceName"/>'s "grpc" endpoint. The factory keeps one
    /// pooled HTTP/2 connection per callee, so no channel or connection is made per request.
    /// </summary>
    public static IHttpClientBuilder AddInternalGrpcClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : class =>
        services.AddGrpcClient<TClient>(o => o.Address = new Uri($"http://_grpc.{serviceName}"))
            .AddInterceptor(sp => new InternalKeyClientInterceptor(sp.GetRequiredService<InternalKey>()));
}

internal sealed class InternalKeyClientInterceptor(InternalKey key) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var headers = context.Options.Headers ?? [];
        headers.Add(InternalKey.GrpcHeader, key.Value);
        var options = context.Options.WithHeaders(headers);
        if (options.Deadline is null)
        {
            options = options.WithDeadline(DateTime.UtcNow + InternalGrpc.DefaultDeadline);
        }

        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
    }
}

internal sealed class InternalKeyServerInterceptor(InternalKey key) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!key.Matches(context.RequestHeaders.GetValue(InternalKey.GrpcHeader)))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Internal calls only."));
        }

        return continuation(request, context);
    }
}

/// <summary>
/// A handler that fails because its database is unreachable answers UNAVAILABLE (which callers
/// treat as "retry later", 503 to their own callers), not UNKNOWN.
/// </summary>
internal sealed class UnavailableDependencyInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested && Data.DatabaseErrors.Away(e))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "A dependency of this service is unavailable."));
        }
        catch (Exception e) when (Data.DatabaseErrors.IsInvalidValue(e))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A value in the request cannot be stored or looked up."));
        }
    }
}
