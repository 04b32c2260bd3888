using Grpc.Core;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>
/// A request that failed because a dependency is away (the database restarting, a callee down)
/// is not a server bug: answer 503 ProblemDetails with <c>Retry-After</c>, never a 500. Endpoints
/// with their own error format (the token and authorize endpoints) handle this themselves first.
/// </summary>
internal sealed class UnavailableHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public const string RetryAfterSeconds = "2";

    public static bool IsUnavailable(Exception e) => e switch
    {
        Npgsql.NpgsqlException or TimeoutException => Data.DatabaseErrors.IsUnavailable(e),
        RpcException r => r.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (Data.DatabaseErrors.IsInvalidValue(exception) || exception is RpcException { StatusCode: StatusCode.InvalidArgument })
        {
            // A value the database refuses (a NUL character, say) is the caller's fault.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 400, Title = "Bad Request", Detail = "A value in the request cannot be stored." },
            });
        }

        if (!IsUnavailable(exception) || context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        Data.DatabaseErrors.DropDeadConnections(exception);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service Unavailable",
                Detail = "A dependency of this service is unavailable; try again shortly.",
            },
        });
    }
}
