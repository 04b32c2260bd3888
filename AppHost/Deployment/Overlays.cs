using k8s.Models;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>An overlay: its kustomization and the files beside it.</summary>
public sealed record Overlay(Dictionary<string, object> Kustomization, IReadOnlyDictionary<string, string> Files);

/// <summary>
/// <c>dev</c>: one replica of everything (a laptop's cluster), the operators' clusters with one
/// instance, the issuer on http://localhost:8080 (a port-forward to the edge). <c>production</c>:
/// the configured replicas, three-instance PostgreSQL and three-node RabbitMQ clusters, TLS at the
/// ingress for the public host. <c>production-external</c>: the same with managed PostgreSQL and
/// RabbitMQ by connection string instead of the operators.
/// </summary>
public static class Overlays
{
    public static IEnumerable<(string Name, Overlay Overlay)> All(PublishedModel model, KubernetesSettings settings)
    {
        yield return ("dev", Dev(model, settings));
        yield return ("production", Production(model, settings, ["cloudnative-pg", "rabbitmq-operator"]));
        yield return ("production-external", Production(model, settings, ["external-services"]));
    }

    private static Overlay Dev(PublishedModel model, KubernetesSettings settings)
    {
        var services = model.Projects.Keys.Order(StringComparer.Ordinal).ToList();
        // An http issuer is accepted on a loopback host in Development only (a port-forward to the edge).
        var kustomization = Common(settings, ["cloudnative-pg", "rabbitmq-operator"], "http://localhost:8080", "environment=Development");
        kustomization["images"] = services.Select(s => new Dictionary<string, object> { ["name"] = $"oauthaspire/{s}", ["newTag"] = "dev" }).ToList();
        kustomization["replicas"] = services.Where(s => !Workloads.Scales(s)).Select(s => new Dictionary<string, object> { ["name"] = s, ["count"] = Workloads.ReplicasOf(s, settings.DevReplicas) }).ToList();
        var patches = new List<object>();
        patches.AddRange(services.Where(Workloads.Scales).Select(s => new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = new V1ObjectMeta { Name = s },
            Spec = new V2HorizontalPodAutoscalerSpec { MinReplicas = settings.DevReplicas, MaxReplicas = Math.Max(settings.DevReplicas, 2), ScaleTargetRef = new V2CrossVersionObjectReference { Kind = "Deployment", Name = s } },
        }));
        // The edge's share of the rate limits follows its replicas.
        patches.Add(new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta { Name = ServiceNames.Edge },
            Spec = new V1DeploymentSpec
            {
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = ServiceNames.Edge, Env = [Objects.Env("RateLimits__Replicas", Workloads.Count(settings.DevReplicas))] }] },
                },
            },
        });
        patches.Add(StateComponents.Custom("postgresql.cnpg.io/v1", "Cluster", StateComponents.Postgres, new()
        {
            ["instances"] = 1,
            ["storage"] = new Dictionary<string, object> { ["size"] = "1Gi" },
            ["resources"] = StateComponents.Resources(cpuRequest: "100m", cpuLimit: "1", memory: "512Mi"),
        }));
        patches.Add(StateComponents.Custom("rabbitmq.com/v1beta1", "RabbitmqCluster", StateComponents.RabbitMq, new()
        {
            ["replicas"] = 1,
            ["persistence"] = new Dictionary<string, object> { ["storage"] = "1Gi" },
            ["resources"] = StateComponents.Resources(cpuRequest: "100m", cpuLimit: "1", memory: "512Mi"),
        }));
        patches.Add(StateComponents.Custom("rabbitmq.com/v1beta1", "Queue", "audit-stream", new()
        {
            ["arguments"] = new Dictionary<string, object> { ["x-initial-cluster-size"] = 1 },
        }));

        kustomization["patches"] = new List<object> { new Dictionary<string, object> { ["path"] = "patches.yaml" } };
        return new Overlay(kustomization, new Dictionary<string, string>
        {
            ["namespace.yaml"] = KubernetesDeployment.Yaml(Namespace(settings)),
            ["patches.yaml"] = KubernetesDeployment.Documents(patches),
        });
    }

    private static Overlay Production(PublishedModel model, KubernetesSettings settings, string[] components)
    {
        // Behind the ingress controller the edge sees its address: it believes X-Forwarded-For from those
        // addresses only (its NetworkPolicy lets in nothing but the controller's namespace).
        var kustomization = Common(settings, components, $"https://{settings.Host}", $"trusted-proxies={settings.TrustedProxies}");
        kustomization["images"] = model.Projects.Keys.Order(StringComparer.Ordinal)
            .Select(s => new Dictionary<string, object> { ["name"] = $"oauthaspire/{s}", ["newName"] = $"{settings.Registry}/{s}", ["newTag"] = settings.ImageTag }).ToList();
        var ingress = new V1Ingress
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "Ingress",
            Metadata = new V1ObjectMeta { Name = "oauthaspire" },
            Spec = new V1IngressSpec
            {
                // The certificate is the operator's Secret (or cert-manager's); the issuer is this host.
                Tls = [new V1IngressTLS { Hosts = [settings.Host], SecretName = "oauthaspire-edge-tls" }],
                Rules = [KubernetesDeployment.EdgeRule(settings.Host)],
            },
        };
        kustomization["patches"] = new List<object> { new Dictionary<string, object> { ["path"] = "ingress.yaml" } };
        return new Overlay(kustomization, new Dictionary<string, string>
        {
            ["namespace.yaml"] = KubernetesDeployment.Yaml(Namespace(settings)),
            ["ingress.yaml"] = KubernetesDeployment.Yaml(ingress),
        });
    }

    private static Dictionary<string, object> Common(KubernetesSettings settings, string[] components, string issuer, params string[] more)
    {
        var kustomization = KubernetesDeployment.Kustomization("Kustomization", ["namespace.yaml", "../../base"]);
        kustomization["namespace"] = settings.Namespace;
        kustomization["components"] = components.Select(c => $"../../components/{c}").ToList();
        // The issuer every service states; the environment (ASPNETCORE_ENVIRONMENT), telemetry
        // (otlp-endpoint) and the edge's trusted proxies (trusted-proxies) are optional keys.
        kustomization["configMapGenerator"] = new List<object>
        {
            new Dictionary<string, object> { ["name"] = PodEnvironment.Settings, ["literals"] = more.Prepend($"issuer={issuer}").ToList() },
        };
        return kustomization;
    }

    /// <summary>The namespace, held to the restricted Pod Security Standard by admission (enforced for our pods' settings, warned for the rest).</summary>
    private static V1Namespace Namespace(KubernetesSettings settings) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta
        {
            Name = settings.Namespace,
            Labels = new Dictionary<string, string>
            {
                ["pod-security.kubernetes.io/enforce"] = "baseline",
                ["pod-security.kubernetes.io/warn"] = "restricted",
                ["pod-security.kubernetes.io/audit"] = "restricted",
            },
        },
    };
}
