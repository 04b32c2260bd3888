using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Grpc;

/// <summary>
/// Internal gRPC between services: on each service's "grpc" endpoint (h2c, or TLS trusting only the
/// internal authority when <see cref="InternalTls"/> is on), found through service
/// discovery, every call carrying the caller's service token for its callee and a deadline; every
/// RPC admitting only the callers its <see cref="AllowedCallersAttribute"/> names.
/// </summary>
public static class InternalGrpc
{
    /// <summary>The metadata header of the caller's service token (never <c>authorization</c>, so a user's bearer token cannot be taken for one).</summary>
    public const string ServiceTokenHeader = "x-oauthaspire-service";

    /// <summary>Deadline for calls that set none: a stuck callee must not hold a request forever.</summary>
    // 20 s: long enough for a callee that is restarting (a service start takes about 10 s on two
    // busy cores) to be waited for rather than reported away; short enough to free the request.
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(20);

    /// <summary>Serves gRPC, refusing calls without a valid service token of a caller the RPC allows.</summary>
    public static IGrpcServerBuilder AddInternalGrpcServer(this IServiceCollection services)
    {
        // One instance for every call (resolved from DI by Grpc.AspNetCore), not one per call.
        services.TryAddSingleton<AllowedCallersInterceptor>();
        return services.AddGrpc(o =>
        {
            o.Interceptors.Add<AllowedCallersInterceptor>();
            o.Interceptors.Add<UnavailableDependencyInterceptor>();
        });
    }

    /// <summary>
    /// A typed client for <paramref name="serviceName"/>'s "grpc" endpoint (<see cref="ServiceNames"/>),
    /// whose calls carry this service's token for that audience. The factory keeps one pooled HTTP/2
    /// connection per callee, so no channel or connection is made per request.
    /// </summary>
    public static IHttpClientBuilder AddInternalGrpcClient<TClient>(this IServiceCollection services, string serviceName)
        where TClient : class =>
        services.AddGrpcClient<TClient>((sp, o) => o.Address = new Uri($"{sp.GetRequiredService<InternalTls>().Scheme}://_grpc.{serviceName}"))
            .ConfigurePrimaryHttpMessageHandler(InternalTls.PrimaryHandler)
            .AddInterceptor(sp => new ServiceTokenClientInterceptor(
                sp.GetService<ServiceTokenSigner>()
                    ?? throw new InvalidOperationException($"{ServiceIdentityOptions.Section}:PrivateKey is required to call {serviceName}."),
                serviceName));
}
