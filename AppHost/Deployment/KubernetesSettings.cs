using Microsoft.Extensions.Configuration;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>
/// What the Kubernetes deployment needs beyond the AppHost's model (AppHost configuration
/// <c>Deploy:Kubernetes</c>); generating with <c>Deploy:Kubernetes:Output</c> set writes it there.
/// </summary>
public sealed record KubernetesSettings
{
    /// <summary>Where the base, components and overlays are written (relative to the working directory).</summary>
    public string? Output { get; init; }

    /// <summary>Replicas of every service in production (the edge's rate limits are shared among them).</summary>
    public int Replicas { get; init; } = 2;

    /// <summary>Replicas in the dev overlay.</summary>
    public int DevReplicas { get; init; } = 1;

    /// <summary>The most replicas the autoscaler may start for a stateless service.</summary>
    public int MaxReplicas { get; init; } = 6;

    /// <summary>The namespace both overlays deploy to.</summary>
    public string Namespace { get; init; } = "oauthaspire";

    /// <summary>The namespace of the ingress controller, the only one that may reach the edge.</summary>
    public string IngressNamespace { get; init; } = "ingress-nginx";

    public string IngressClass { get; init; } = "nginx";

    /// <summary>
    /// The addresses the ingress controller's pods connect from (the cluster's pod network), whose
    /// X-Forwarded-For the edge believes in production: narrow it to your pod CIDR.
    /// </summary>
    public string TrustedProxies { get; init; } = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16";

    /// <summary>The public host name in the production overlay (the issuer is https://Host).</summary>
    public string Host { get; init; } = "auth.example.com";

    /// <summary>Where production pulls the images from, and which tag.</summary>
    public string Registry { get; init; } = "registry.example.com/oauthaspire";

    public string ImageTag { get; init; } = "1.0.0";

    public static KubernetesSettings From(IConfiguration configuration) =>
        configuration.GetSection("Deploy:Kubernetes").Get<KubernetesSettings>() ?? new KubernetesSettings();
}

/// <summary>A service's container resources, from the bench's measured resident memory (bench/README.md, issue 25).</summary>
public sealed record Sizing(string CpuRequest, string CpuLimit, string MemoryRequest, string MemoryLimit)
{
    /// <summary>
    /// Requests: idle after a cold start on the full seed (157–193 MB) rounded up to 256 Mi. Limits:
    /// about 1.5× the peak under load at the full seed, so the GC (which sizes its heap to the limit)
    /// has room: token 324 MB, edge 301, scope-policy 260, authorize 248, client-registry 238,
    /// directory 206, federation-trust 185, table-api 184. CPU: the token service and the edge carry
    /// every request (535 and 175 µs of CPU per token at ~1,250 tokens/s: bench/README.md).
    /// </summary>
    public static Sizing Of(string service) => service switch
    {
        ServiceNames.Token => new("500m", "2", "256Mi", "512Mi"),
        ServiceNames.Edge => new("500m", "2", "256Mi", "512Mi"),
        ServiceNames.ScopePolicy => new("100m", "1", "256Mi", "448Mi"),
        ServiceNames.Authorize or ServiceNames.ClientRegistry => new("100m", "1", "256Mi", "384Mi"),
        ServiceNames.AuditLog or ServiceNames.Console => new("100m", "1", "256Mi", "384Mi"),
        _ => new("100m", "1", "256Mi", "320Mi"),
    };
}
