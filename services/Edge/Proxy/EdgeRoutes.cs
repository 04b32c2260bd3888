using OAuthAspire.Protocol.Discovery;
using OAuthAspire.Protocol.Mtls;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Http;
using OAuthAspire.ServiceDefaults.Security;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace OAuthAspire.Edge.Proxy;

/// <summary>
/// The public surface: which path goes to which service. Each service is addressed by its
/// Aspire name and found through service discovery.
/// </summary>
public static class EdgeRoutes
{
    /// <summary>The largest body the token, authorize and directory services read (their Kestrel limit): OAuth forms and admin JSON are small.</summary>
    public const long SmallBodyLimit = 64 * 1024;

    private const string Rest = "/{**rest}";

    /// <summary>A user's remembered consents: the authorize service's, under the directory's <c>/api/admin/users</c>.</summary>
    private const string ConsentAdmin = "/api/admin/users/{userName}/consents/{**rest}";

    /// <summary>Each service with its paths and, when below the edge's own, the largest body it reads.</summary>
    private static readonly (string Service, long? BodyLimit, string[] Paths)[] Table =
    [
        (ServiceNames.Authorize, SmallBodyLimit, [MetadataBuilder.Paths.Authorization, MetadataBuilder.Paths.AuthorizationAlias,
            MetadataBuilder.Paths.Login + Rest, MetadataBuilder.Paths.Consent + Rest, MetadataBuilder.Paths.EndSession + Rest,
            MetadataBuilder.Paths.Assets + Rest, MetadataBuilder.Paths.Device, MetadataBuilder.Paths.Account, MetadataBuilder.Paths.Account + Rest,
            ConsentAdmin, "/api/admin/consents/{**rest}"]),
        (ServiceNames.Token, SmallBodyLimit, [MetadataBuilder.Paths.Token, MetadataBuilder.Paths.TokenAlias, MetadataBuilder.Paths.PushedAuthorization,
            MetadataBuilder.Paths.DeviceAuthorization, MetadataBuilder.Paths.Revocation,
            MetadataBuilder.Paths.Introspection, MetadataBuilder.Paths.UserInfo, MetadataBuilder.Paths.Jwks,
            MetadataBuilder.Paths.OpenIdConfiguration, MetadataBuilder.Paths.OAuthServerMetadata, "/api/admin/keys/{**rest}",
            "/api/admin/tokens/{**rest}"]),
        (ServiceNames.ClientRegistry, null, ["/api/admin/clients/{**rest}", "/api/admin/registration-policies/{**rest}",
            "/api/admin/registration-tokens/{**rest}", MetadataBuilder.Paths.Registration + Rest]),
        (ServiceNames.FederationTrust, null, ["/api/admin/trusts/{**rest}"]),
        (ServiceNames.ScopePolicy, null, ["/api/admin/scopes/{**rest}", "/api/admin/api-policies/{**rest}"]),
        (ServiceNames.Directory, SmallBodyLimit, ["/api/admin/users/{**rest}"]),
        (ServiceNames.AuditLog, SmallBodyLimit, [AdminApi.AuditPrefix + Rest]),
        // The admin console: a client of the admin API, outside the trust boundary like the APIs.
        (ServiceNames.Console, SmallBodyLimit, [AdminConsoleApp.Path, AdminConsoleApp.Path + Rest]),
        // Everything else under /api: the protected REST APIs (the sample table API here).
        (ApiCluster, null, ["/api/{**rest}"]),
    ];

    /// <summary>The cluster of the protected APIs: outside the trust boundary, kept apart from the issuer's own pages.</summary>
    public const string ApiCluster = ServiceNames.TableApi;

    /// <summary>Clusters outside the trust boundary: reached without internal TLS, and never sent a credential of ours.</summary>
    private static bool IsOutside([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] string? cluster) => cluster is null or ApiCluster or ServiceNames.Console;

    private static readonly string[] AdminPrefixes = Table
        .SelectMany(entry => entry.Paths)
        .Where(path => path.StartsWith("/api/admin/", StringComparison.Ordinal))
        .Select(path => path.Replace("/{**rest}", "", StringComparison.Ordinal))
        .ToArray();

    /// <summary>The body limit of the service behind a cluster, when it is below the edge's own.</summary>
    public static long? BodyLimitOf(string clusterId) => BodyLimitByService.GetValueOrDefault(clusterId);

    private static readonly Dictionary<string, long?> BodyLimitByService = Table.ToDictionary(entry => entry.Service, entry => entry.BodyLimit, StringComparer.Ordinal);

    /// <summary>True when an admin path belongs to one of the admin APIs (anything else is a 404, never the sample API).</summary>
    public static bool IsAdminRoute(PathString path) => AdminPrefixes.Any(prefix => path.StartsWithSegments(prefix));

    /// <param name="internalTls">With internal TLS on, our services are reached on their "https" endpoint.</param>
    public static IReverseProxyBuilder AddEdgeRoutes(this IServiceCollection services, InternalTls internalTls)
    {
        var routes = Table
            .SelectMany(entry => entry.Paths.Select((path, i) => new RouteConfig
            {
                RouteId = $"{entry.Service}-{i}",
                ClusterId = entry.Service,
                Match = new RouteMatch { Path = path },
                // The catch-all API route loses to every specific one; a user's consents (authorize)
                // win over the rest of the user's admin paths (directory).
                Order = path switch
                {
                    "/api/{**rest}" => 1000,
                    ConsentAdmin => -1,
                    _ => 0,
                },
            }))
            .ToArray();
        var clusters = Table
            .Select(entry => new ClusterConfig
            {
                ClusterId = entry.Service,
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    ["primary"] = new()
                    {
                        Address = IsOutside(entry.Service) ? $"http://{entry.Service}" : internalTls.AddressOf(entry.Service),
                    },
                },
            })
            .ToArray();

        services.AddSingleton<IForwarderHttpClientFactory, RetryingForwarderHttpClientFactory>();
        return services.AddReverseProxy()
            .LoadFromMemory(routes, clusters)
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(context =>
            {
                // What the edge saw, never what the caller claims.
                context.UseDefaultForwarders = false;
                context.AddXForwardedFor(action: ForwardedTransformActions.Set);
                context.AddXForwardedProto(action: ForwardedTransformActions.Set);
                context.AddXForwardedHost(action: ForwardedTransformActions.Set);
                var cluster = context.Cluster?.ClusterId;
                if (IsOutside(cluster))
                {
                    // The APIs are outside the trust boundary: no credential of ours goes to them,
                    // nor one a caller slipped in.
                    context.AddRequestHeaderRemove(EdgeTrust.EdgeHeader);
                    if (cluster == ApiCluster)
                    {
                        ApiIsolation.Apply(context);
                    }
                    else if (cluster == ServiceNames.Console)
                    {
                        ConsoleIsolation.Apply(context);
                    }
                }
                else
                {
                    // The proof that lets the service believe the above: the edge's own service
                    // token for that service alone (the cluster is named after it).
                    var signer = context.Services.GetRequiredService<ServiceTokenSigner>();
                    string audience = cluster;
                    context.AddRequestTransform(transform =>
                    {
                        RequestTransform.RemoveHeader(transform, EdgeTrust.EdgeHeader);
                        RequestTransform.AddHeader(transform, EdgeTrust.EdgeHeader, signer.TokenFor(audience));
                        // The caller's client certificate (RFC 8705), which the token service authenticates
                        // clients and binds tokens by: the edge is the only party it takes it from.
                        RequestTransform.RemoveHeader(transform, EdgeTrust.ClientCertHeader);
                        if (EdgeClientCertificate.Of(transform.HttpContext) is { } certificate)
                        {
                            RequestTransform.AddHeader(transform, EdgeTrust.ClientCertHeader, ClientCertHeader.Format(certificate));
                        }

                        return ValueTask.CompletedTask;
                    });
                }
            });
    }
}
