using Grpc.Core;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ServiceDefaults.Http;

/// <summary>For endpoints that answer "try again later" in their own form when something they depend on is away.</summary>
public static class Dependencies
{
    /// <summary>
    /// A callee away (gRPC unavailable, past its deadline, or failing internally) or the database
    /// away (its dead pooled connections dropped on the way, see <see cref="DatabaseErrors.Away"/>).
    /// </summary>
    public static bool Away(Exception e) => e switch
    {
        RpcException r => r.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal,
        Npgsql.NpgsqlException or TimeoutException => DatabaseErrors.Away(e),
        _ => false,
    };
}
