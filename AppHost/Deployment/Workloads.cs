using k8s;
using System.Globalization;
using k8s.Models;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>
/// Each service's workload: its own ServiceAccount (no API token mounted: no service calls the
/// Kubernetes API), a Deployment of non-root, read-only containers probed on <c>/health</c> and
/// <c>/alive</c>, a Service, a PodDisruptionBudget and, where replicas hold nothing of their own,
/// a HorizontalPodAutoscaler.
/// </summary>
public static class Workloads
{
    /// <summary>The user of the .NET images (<c>app</c>, uid 1654): never root.</summary>
    private const long AppUser = 1654;

    /// <summary>The console keeps its sealed key ring on a volume (its replicas would have to share it).</summary>
    public const string ConsoleKeyRing = "console-keys";

    public static Dictionary<string, string> Labels(string service) => new(StringComparer.Ordinal)
    {
        ["app.kubernetes.io/name"] = service,
        ["app.kubernetes.io/part-of"] = "oauthaspire",
    };

    public static Dictionary<string, string> Selector(string service) => new(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = service };

    /// <summary>
    /// Whether an autoscaler may change the service's replica count: not the edge (each replica
    /// enforces its share of the rate limits, counted in memory: RateLimits__Replicas), not the
    /// console (one key ring on one volume).
    /// </summary>
    public static bool Scales(string service) => service is not (ServiceNames.Edge or ServiceNames.Console);

    public static int ReplicasOf(string service, int replicas) => service == ServiceNames.Console ? 1 : replicas;

    public static IEnumerable<IKubernetesObject> For(PublishedProject project, IReadOnlyList<PodVariable> variables, KubernetesSettings settings)
    {
        var name = project.Name;
        var replicas = ReplicasOf(name, settings.Replicas);
        yield return new V1ServiceAccount
        {
            ApiVersion = "v1",
            Kind = "ServiceAccount",
            Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
            AutomountServiceAccountToken = false,
        };
        yield return Deployment(project, variables, replicas);
        yield return Service(project);
        yield return new V1PodDisruptionBudget
        {
            ApiVersion = "policy/v1",
            Kind = "PodDisruptionBudget",
            Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
            // One pod at a time may be evicted: a drain never takes a service away whole when it has two.
            Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = Selector(name) } },
        };
        if (Scales(name))
        {
            yield return new V2HorizontalPodAutoscaler
            {
                ApiVersion = "autoscaling/v2",
                Kind = "HorizontalPodAutoscaler",
                Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
                Spec = new V2HorizontalPodAutoscalerSpec
                {
                    ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = name },
                    MinReplicas = replicas,
                    MaxReplicas = Math.Max(replicas, settings.MaxReplicas),
                    Metrics =
                    [
                        new V2MetricSpec
                        {
                            Type = "Resource",
                            Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 70 } },
                        },
                    ],
                },
            };
        }

        if (name == ServiceNames.Console)
        {
            yield return new V1PersistentVolumeClaim
            {
                ApiVersion = "v1",
                Kind = "PersistentVolumeClaim",
                Metadata = new V1ObjectMeta { Name = ConsoleKeyRing, Labels = Labels(name) },
                Spec = new V1PersistentVolumeClaimSpec
                {
                    AccessModes = ["ReadWriteOnce"],
                    Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("64Mi") } },
                },
            };
        }
    }

    private static V1Deployment Deployment(PublishedProject project, IReadOnlyList<PodVariable> variables, int replicas)
    {
        var name = project.Name;
        var sizing = Sizing.Of(name);
        var mounts = new List<V1VolumeMount> { Objects.Mount("/tmp", "tmp") };
        var volumes = new List<V1Volume> { new() { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("64Mi") } } };
        if (name == ServiceNames.Console)
        {
            var keyRing = variables.OfType<LiteralVariable>().Single(v => v.Name == "Console__KeyRingPath").Value;
            mounts.Add(Objects.Mount(keyRing, ConsoleKeyRing));
            volumes.Add(new V1Volume { Name = ConsoleKeyRing, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ConsoleKeyRing } });
        }

        var container = new V1Container
        {
            Name = name,
            Image = $"oauthaspire/{name}",
            Ports = [.. Ports(project).Select(p => new V1ContainerPort { ContainerPort = p.Port, Name = p.Name, Protocol = "TCP" })],
            Env = [.. variables.Where(v => v is LiteralVariable or ReferencedVariable).Select(PodEnvironment.ToEnvVar)],
            // Ready when every dependency answers; alive while the process does (a database outage
            // takes a pod out of its Service, it does not restart it). A service waits for its
            // database and migrates it before it listens: the startup probe gives that ten minutes
            // (a new PostgreSQL cluster takes minutes to elect its primary).
            StartupProbe = Probe("/alive", periodSeconds: 2, failureThreshold: 300),
            ReadinessProbe = Probe("/health", periodSeconds: 10, failureThreshold: 3),
            LivenessProbe = Probe("/alive", periodSeconds: 10, failureThreshold: 3),
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(sizing.CpuRequest), ["memory"] = new(sizing.MemoryRequest) },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(sizing.CpuLimit), ["memory"] = new(sizing.MemoryLimit) },
            },
            SecurityContext = new V1SecurityContext
            {
                RunAsNonRoot = true,
                RunAsUser = AppUser,
                RunAsGroup = AppUser,
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
            VolumeMounts = mounts,
            // Taken out of the Service's endpoints and the ingress's upstreams before it stops listening.
            Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = 5 } } },
        };

        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) },
            Spec = new V1DeploymentSpec
            {
                // An autoscaled Deployment leaves its count to the autoscaler (an apply would reset it).
                Replicas = Scales(name) ? null : replicas,
                Selector = new V1LabelSelector { MatchLabels = Selector(name) },
                // The console's volume is mounted by one pod at a time.
                Strategy = name == ServiceNames.Console
                    ? new V1DeploymentStrategy { Type = "Recreate" }
                    : new V1DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDeployment { MaxUnavailable = 0, MaxSurge = 1 } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Labels(name) },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = name,
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = AppUser,
                            RunAsGroup = AppUser,
                            FsGroup = AppUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        TopologySpreadConstraints =
                        [
                            new V1TopologySpreadConstraint
                            {
                                MaxSkew = 1,
                                TopologyKey = "kubernetes.io/hostname",
                                WhenUnsatisfiable = "ScheduleAnyway",
                                LabelSelector = new V1LabelSelector { MatchLabels = Selector(name) },
                            },
                        ],
                        Containers = [container],
                        Volumes = volumes,
                    },
                },
            },
        };
    }

    private static V1Service Service(PublishedProject project) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta { Name = project.Name, Labels = Labels(project.Name) },
        Spec = new V1ServiceSpec
        {
            Selector = Selector(project.Name),
            Ports = [.. Ports(project).Select(p => new V1ServicePort
            {
                Port = p.Port,
                Name = p.Name,
                TargetPort = p.Name,
                Protocol = "TCP",
                // gRPC is HTTP/2 without TLS inside the cluster (prior knowledge).
                AppProtocol = p.Name == "grpc" ? "kubernetes.io/h2c" : "http",
            })],
        },
    };

    /// <summary>The endpoints a container listens on: those the published model gives a fixed port.</summary>
    public static IEnumerable<(string Name, int Port)> Ports(PublishedProject project) =>
        project.Bindings.Values.Where(b => b.TargetPort is not null).OrderBy(b => b.TargetPort).Select(b => (b.Name, b.TargetPort!.Value));

    private static V1Probe Probe(string path, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = "http" },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 3,
    };

    public static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}
