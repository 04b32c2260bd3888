using Grpc.Core;
using Grpc.Core.Interceptors;

namespace OAuthAspire.ServiceDefaults.Grpc;

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
