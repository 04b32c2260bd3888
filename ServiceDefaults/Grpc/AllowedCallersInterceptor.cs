using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Grpc;

/// <summary>
/// Zero trust between services: every call, unary or streaming, must carry a valid service token
/// (<see cref="InternalGrpc.ServiceTokenHeader"/>) addressed to this service (else UNAUTHENTICATED),
/// and its verified caller must be on the RPC's <see cref="AllowedCallersAttribute"/> (else
/// PERMISSION_DENIED; no attribute, nobody). Every refusal is audited as
/// <see cref="InternalCallRefused"/> (identical repeats are coalesced by the sink); the token is
/// never logged nor audited.
/// </summary>
public sealed class AllowedCallersInterceptor(ServiceTokenVerifier verifier, ILogger<AllowedCallersInterceptor> logger, IAuditSink? audit = null)
    : Interceptor
{
    public const string NotAllowed = "caller not allowed for this method";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        return await continuation(request, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    /// <summary>Returns when the call may proceed; otherwise audits and throws the refusal.</summary>
    private async Task AdmitAsync(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var check = await verifier.VerifyAsync(context.RequestHeaders.GetValue(InternalGrpc.ServiceTokenHeader));
        if (check.Caller is not { } caller)
        {
            await RefuseAsync(context, http, check.AuditCaller, check.Problem ?? "invalid");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "A valid service token for this service is required."));
        }

        if (http.GetEndpoint()?.Metadata.GetMetadata<AllowedCallersAttribute>() is not { } allowed || !allowed.Allows(caller))
        {
            await RefuseAsync(context, http, caller, NotAllowed);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{caller} may not call this method."));
        }
    }

    private async Task RefuseAsync(ServerCallContext context, HttpContext http, string caller, string problem)
    {
        logger.LogDebug("Refused internal call {Method} from {Caller}: {Problem}", context.Method, caller, problem);
        if (audit is null)
        {
            return;
        }

        try
        {
            // Not the call's cancellation: a caller that hangs up must not skip its refusal's record.
            await audit.WriteAsync(new InternalCallRefused(caller, context.Method, problem)
            {
                Outcome = AuditOutcome.Failure,
                RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
                // Also what a later RefusalsRepeated carries, so its count says which calls repeated.
                Reason = $"{caller} calling {context.Method}: {problem}",
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogWarning("Could not record a refused internal call to {Method}: {Reason}", context.Method, e.Message);
        }
    }
}
