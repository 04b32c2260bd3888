using k8s;
using k8s.Models;
using OAuthAspire.AppHost.Infrastructure;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>A kustomize component: its own objects, and patches to the base's Deployments.</summary>
public sealed record Component(string Name, IReadOnlyList<object> Resources, IReadOnlyDictionary<string, V1Deployment> Patches);

/// <summary>
/// Where PostgreSQL and RabbitMQ come from, as kustomize components of an overlay: the CloudNativePG
/// and RabbitMQ Cluster Operator (with its Messaging Topology Operator) clusters in the namespace, or
/// managed services outside it by connection string. Each gives every service its connection
/// strings and exactly the network access they need.
/// </summary>
public static class StateComponents
{
    public const string Postgres = "oauthaspire-postgres";
    public const string RabbitMq = "oauthaspire-rabbitmq";

    /// <summary>Where the PostgreSQL server's certificate authority is mounted (its ca.crt only) to verify the server.</summary>
    private const string PostgresCaPath = "/etc/oauthaspire/postgres-ca";

    private static readonly Dictionary<string, string> PostgresPods = new(StringComparer.Ordinal) { ["cnpg.io/cluster"] = Postgres };
    private static readonly Dictionary<string, string> RabbitMqPods = new(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = RabbitMq };

    /// <summary>The Kubernetes API, which CloudNativePG's instances and RabbitMQ's peer discovery call (its address differs per cluster).</summary>
    private static readonly V1NetworkPolicyEgressRule KubernetesApi = new()
    {
        To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0" } }],
        Ports = NetworkPolicies.Ports([443, 6443]),
    };

    public static Component CloudNativePg(IReadOnlyDictionary<string, DatabaseVariable[]> databases)
    {
        var logins = databases.SelectMany(d => d.Value.Select(v => (Service: d.Key, v.Role, v.Database))).Distinct().OrderBy(l => l.Role, StringComparer.Ordinal).ToList();
        var resources = new List<object>
        {
            Custom("postgresql.cnpg.io/v1", "Cluster", Postgres, new()
            {
                ["instances"] = 3,
                ["storage"] = new Dictionary<string, object> { ["size"] = "20Gi" },
                // Guaranteed-size pods (never evicted first), one instance per Kubernetes node where there are enough.
                ["resources"] = Resources(cpuRequest: "1", cpuLimit: "2", memory: "2Gi"),
                ["affinity"] = new Dictionary<string, object> { ["enablePodAntiAffinity"] = true, ["topologyKey"] = "kubernetes.io/hostname" },
                ["postgresql"] = new Dictionary<string, object>
                {
                    // Checkpoints far apart and compressed full-page images: right after a checkpoint every
                    // first change to an index page writes the whole page, and the grants' indexes are keyed
                    // by random values (bench/README.md, issue 25: what grows with the data).
                    ["parameters"] = new Dictionary<string, object> { ["wal_compression"] = "lz4", ["checkpoint_timeout"] = "15min", ["max_wal_size"] = "4GB" },
                    // Each login reaches its own database over TLS, and nothing else gets in (the
                    // operator's own rules for replication and local access come first).
                    ["pg_hba"] = logins.Select(l => $"hostssl {l.Database} {l.Role} all scram-sha-256").Append("host all all all reject").ToList(),
                },
                ["managed"] = new Dictionary<string, object>
                {
                    ["roles"] = logins.Select(l => new Dictionary<string, object>
                    {
                        ["name"] = l.Role,
                        ["ensure"] = "present",
                        ["login"] = true,
                        ["passwordSecret"] = new Dictionary<string, object> { ["name"] = PodEnvironment.DatabaseSecretOf(l.Service) },
                    }).ToList(),
                },
            }),
        };
        resources.AddRange(logins.Select(l => Custom("postgresql.cnpg.io/v1", "Database", $"{Postgres}-{l.Database}", new()
        {
            ["name"] = l.Database,
            ["owner"] = l.Role,
            ["cluster"] = new Dictionary<string, object> { ["name"] = Postgres },
            // Dropping the custom resource never drops a service's data.
            ["databaseReclaimPolicy"] = "retain",
        })));

        var clients = databases.Keys.Order(StringComparer.Ordinal).ToList();
        resources.Add(Policy("postgres", PostgresPods,
            ingress:
            [
                NetworkPolicies.Ingress([.. clients.Select(s => NetworkPolicies.Peer(pod: Workloads.Selector(s)))], [5432]),
                // Replication and the instance manager between the cluster's own pods (and its join jobs).
                NetworkPolicies.Ingress([NetworkPolicies.Peer(pod: PostgresPods)], [5432, 8000]),
                NetworkPolicies.Ingress([NetworkPolicies.Peer(pod: new Dictionary<string, string> { ["app.kubernetes.io/name"] = "cloudnative-pg" }, namespaceName: "cnpg-system")], [5432, 8000]),
            ],
            egress:
            [
                new V1NetworkPolicyEgressRule { To = [NetworkPolicies.Peer(pod: PostgresPods)], Ports = NetworkPolicies.Ports([5432, 8000]) },
                KubernetesApi,
            ]));
        resources.AddRange(clients.Select(s => Policy($"{s}-postgres", Workloads.Selector(s), ingress: null,
            egress: [new V1NetworkPolicyEgressRule { To = [NetworkPolicies.Peer(pod: PostgresPods)], Ports = NetworkPolicies.Ports([5432]) }])));

        var patches = databases.ToDictionary(d => d.Key, d => Patch(d.Key,
            [
                Objects.FromSecret("OAUTHASPIRE_DATABASE_PASSWORD", PodEnvironment.DatabaseSecretOf(d.Key), "password"),
                .. d.Value.Select(v => Objects.Env(v.Name,
                    $"Host={Postgres}-rw;Port=5432;Username={v.Role};Password=$(OAUTHASPIRE_DATABASE_PASSWORD);Database={v.Database};SSL Mode=VerifyFull;Root Certificate={PostgresCaPath}/ca.crt")),
            ],
            mounts: [Objects.Mount(PostgresCaPath, "postgres-ca", readOnly: true)],
            // The operator's CA secret also holds its private key: only ca.crt is projected into the pod.
            volumes: [new V1Volume { Name = "postgres-ca", Secret = new V1SecretVolumeSource { SecretName = $"{Postgres}-ca", Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] } }]), StringComparer.Ordinal);
        return new Component("cloudnative-pg", resources, patches);
    }

    public static Component RabbitMqOperator(IReadOnlyDictionary<string, BrokerVariable[]> brokers, AuditStreamSettings stream, IReadOnlyList<string> publishers)
    {
        var cluster = new Dictionary<string, object> { ["name"] = RabbitMq };
        var resources = new List<object>
        {
            Custom("rabbitmq.com/v1beta1", "RabbitmqCluster", RabbitMq, new()
            {
                ["replicas"] = 3,
                ["persistence"] = new Dictionary<string, object> { ["storage"] = "20Gi" },
                // One node per Kubernetes node where there are enough: a node lost takes one replica of the stream.
                ["affinity"] = new Dictionary<string, object>
                {
                    ["podAntiAffinity"] = new Dictionary<string, object>
                    {
                        ["preferredDuringSchedulingIgnoredDuringExecution"] = new List<object>
                        {
                            new Dictionary<string, object>
                            {
                                ["weight"] = 100,
                                ["podAffinityTerm"] = new Dictionary<string, object>
                                {
                                    ["topologyKey"] = "kubernetes.io/hostname",
                                    ["labelSelector"] = new Dictionary<string, object> { ["matchLabels"] = RabbitMqPods },
                                },
                            },
                        },
                    },
                },
                ["resources"] = Resources(cpuRequest: "500m", cpuLimit: "2", memory: "1Gi"),
            }),
            // Audit events: each service's exchange, bound to the one every event reaches, which feeds the stream.
            Custom("rabbitmq.com/v1beta1", "Exchange", "audit-all", new()
            {
                ["name"] = AuditStream.Exchange, ["type"] = "fanout", ["durable"] = true, ["rabbitmqClusterReference"] = cluster,
            }),
            Custom("rabbitmq.com/v1beta1", "Queue", "audit-stream", new()
            {
                ["name"] = stream.Name,
                ["type"] = "stream",
                ["durable"] = true,
                ["arguments"] = new Dictionary<string, object>
                {
                    ["x-max-age"] = stream.MaxAge,
                    ["x-max-length-bytes"] = stream.MaxLengthBytes,
                    ["x-stream-max-segment-size-bytes"] = stream.MaxSegmentSizeBytes,
                    // A replica of the stream on every node: a node lost loses no audit event.
                    ["x-initial-cluster-size"] = 3,
                },
                // Removing the custom resource never deletes the audit trail.
                ["deletionPolicy"] = "retain",
                ["rabbitmqClusterReference"] = cluster,
            }),
            Custom("rabbitmq.com/v1beta1", "Binding", "audit-stream", new()
            {
                ["source"] = AuditStream.Exchange, ["destination"] = stream.Name, ["destinationType"] = "queue", ["rabbitmqClusterReference"] = cluster,
            }),
        };
        foreach (var service in publishers)
        {
            resources.Add(Custom("rabbitmq.com/v1beta1", "Exchange", $"audit-from-{service}", new()
            {
                ["name"] = AuditStream.ServiceExchange(service), ["type"] = "fanout", ["durable"] = true, ["rabbitmqClusterReference"] = cluster,
            }));
            resources.Add(Custom("rabbitmq.com/v1beta1", "Binding", $"audit-from-{service}", new()
            {
                ["source"] = AuditStream.ServiceExchange(service), ["destination"] = AuditStream.Exchange, ["destinationType"] = "exchange", ["rabbitmqClusterReference"] = cluster,
            }));
        }

        // One login per service with its own permissions, and the read-only auditor (no tags: no management access).
        var logins = brokers.SelectMany(b => b.Value.Select(v => (Service: b.Key, v.Login))).Distinct()
            .Select(l => (Secret: PodEnvironment.BrokerSecretOf(l.Service), l.Login, Permission: BrokerPermissions.For(l.Service, stream.Name)))
            .Append((Secret: PodEnvironment.BrokerSecretOf(BrokerProvisioning.AuditorUser), Login: BrokerProvisioning.AuditorUser, Permission: BrokerPermissions.Auditor(stream.Name)))
            .OrderBy(l => l.Login, StringComparer.Ordinal);
        foreach (var (secret, login, permission) in logins)
        {
            resources.Add(Custom("rabbitmq.com/v1beta1", "User", login, new()
            {
                ["importCredentialsSecret"] = new Dictionary<string, object> { ["name"] = secret },
                ["rabbitmqClusterReference"] = cluster,
            }));
            resources.Add(Custom("rabbitmq.com/v1beta1", "Permission", login, new()
            {
                ["vhost"] = "/",
                ["userReference"] = new Dictionary<string, object> { ["name"] = login },
                ["permissions"] = new Dictionary<string, object> { ["configure"] = permission.Configure, ["write"] = permission.Write, ["read"] = permission.Read },
                ["rabbitmqClusterReference"] = cluster,
            }));
        }

        var clients = brokers.Keys.Order(StringComparer.Ordinal).ToList();
        resources.Add(Policy("rabbitmq", RabbitMqPods,
            ingress:
            [
                NetworkPolicies.Ingress([.. clients.Select(s => NetworkPolicies.Peer(pod: Workloads.Selector(s)))], [5672]),
                // Auditors' readers: pods labelled so, in a namespace the cluster's administrator labelled so.
                NetworkPolicies.Ingress(
                [
                    new V1NetworkPolicyPeer
                    {
                        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["oauthaspire.io/audit-readers"] = "true" } },
                        PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["oauthaspire.io/audit-reader"] = "true" } },
                    },
                ], [5672]),
                // Clustering between the nodes: epmd, distribution, stream replication, CLI.
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = [NetworkPolicies.Peer(pod: RabbitMqPods)],
                    Ports = [.. NetworkPolicies.Ports([4369, 5672, 25672]), new V1NetworkPolicyPort { Port = 6000, EndPort = 6500, Protocol = "TCP" }, new V1NetworkPolicyPort { Port = 35672, EndPort = 35682, Protocol = "TCP" }],
                },
                NetworkPolicies.Ingress([NetworkPolicies.Peer(pod: new Dictionary<string, string> { ["app.kubernetes.io/component"] = "rabbitmq-operator" }, namespaceName: "rabbitmq-system")], [15672]),
            ],
            egress:
            [
                new V1NetworkPolicyEgressRule
                {
                    To = [NetworkPolicies.Peer(pod: RabbitMqPods)],
                    Ports = [.. NetworkPolicies.Ports([4369, 5672, 25672]), new V1NetworkPolicyPort { Port = 6000, EndPort = 6500, Protocol = "TCP" }, new V1NetworkPolicyPort { Port = 35672, EndPort = 35682, Protocol = "TCP" }],
                },
                KubernetesApi,
            ]));
        resources.AddRange(clients.Select(s => Policy($"{s}-rabbitmq", Workloads.Selector(s), ingress: null,
            egress: [new V1NetworkPolicyEgressRule { To = [NetworkPolicies.Peer(pod: RabbitMqPods)], Ports = NetworkPolicies.Ports([5672]) }])));

        var patches = brokers.ToDictionary(b => b.Key, b => Patch(b.Key,
            [
                Objects.FromSecret("OAUTHASPIRE_BROKER_PASSWORD", PodEnvironment.BrokerSecretOf(b.Key), "password"),
                .. b.Value.Select(v => Objects.Env(v.Name, $"amqp://{v.Login}:$(OAUTHASPIRE_BROKER_PASSWORD)@{RabbitMq}:5672/")),
            ]), StringComparer.Ordinal);
        return new Component("rabbitmq-operator", resources, patches);
    }

    /// <summary>
    /// Managed PostgreSQL and RabbitMQ outside the cluster: each service's connection strings come
    /// whole from its Secrets (<c>connection-string</c>, <c>uri</c>), and it may reach those ports
    /// (narrow the address range to your services' in a patch).
    /// </summary>
    public static Component External(IReadOnlyDictionary<string, DatabaseVariable[]> databases, IReadOnlyDictionary<string, BrokerVariable[]> brokers)
    {
        var services = databases.Keys.Union(brokers.Keys).Order(StringComparer.Ordinal).ToList();
        var resources = new List<object>();
        var patches = new Dictionary<string, V1Deployment>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var ports = new List<int>();
            var variables = new List<V1EnvVar>();
            foreach (var database in databases.GetValueOrDefault(service) ?? [])
            {
                variables.Add(Objects.FromSecret(database.Name, PodEnvironment.DatabaseSecretOf(service), "connection-string"));
                ports.Add(5432);
            }

            foreach (var broker in brokers.GetValueOrDefault(service) ?? [])
            {
                variables.Add(Objects.FromSecret(broker.Name, PodEnvironment.BrokerSecretOf(service), "uri"));
                // amqps only: the uri create-secrets writes.
                ports.Add(5671);
            }

            patches[service] = Patch(service, variables);
            resources.Add(Policy($"{service}-state", Workloads.Selector(service), ingress: null,
                egress: [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0" } }], Ports = NetworkPolicies.Ports(ports) }]));
        }

        return new Component("external-services", resources, patches);
    }

    /// <summary>A strategic-merge patch of a service's Deployment: variables (in order: a password before the string that uses it), mounts and volumes added.</summary>
    private static V1Deployment Patch(string service, IList<V1EnvVar> variables, IList<V1VolumeMount>? mounts = null, IList<V1Volume>? volumes = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = service },
        Spec = new V1DeploymentSpec
        {
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    Containers = [new V1Container { Name = service, Env = variables, VolumeMounts = mounts }],
                    Volumes = volumes,
                },
            },
        },
    };

    private static V1NetworkPolicy Policy(string name, IDictionary<string, string> pods, IList<V1NetworkPolicyIngressRule>? ingress, IList<V1NetworkPolicyEgressRule> egress) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = pods },
            PolicyTypes = ingress is null ? ["Egress"] : ["Ingress", "Egress"],
            Ingress = ingress,
            Egress = egress,
        },
    };

    /// <summary>A state server's resources: its memory requested as much as its limit (never evicted first).</summary>
    public static Dictionary<string, object> Resources(string cpuRequest, string cpuLimit, string memory) => new(StringComparer.Ordinal)
    {
        ["requests"] = new Dictionary<string, object> { ["cpu"] = cpuRequest, ["memory"] = memory },
        ["limits"] = new Dictionary<string, object> { ["cpu"] = cpuLimit, ["memory"] = memory },
    };

    /// <summary>A custom resource as plain data, in the field order written.</summary>
    public static Dictionary<string, object> Custom(string apiVersion, string kind, string name, Dictionary<string, object> spec) => new(StringComparer.Ordinal)
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = new Dictionary<string, object> { ["name"] = name },
        ["spec"] = spec,
    };
}
