using System.Text.RegularExpressions;
using k8s.Models;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>A call the published model allows: the caller knows the callee's endpoint (service discovery).</summary>
public sealed record Call(string Caller, string Callee, int Port);

/// <summary>
/// Nothing talks to anything unless allowed: every pod of the namespace denies by default, then
/// each service may take calls exactly from the services whose environment names its endpoints
/// (the AppHost's <c>WithReference</c> graph), the edge from the ingress controller, and may call
/// exactly those. PostgreSQL and RabbitMQ are the state components' (their own policies).
/// </summary>
public static partial class NetworkPolicies
{
    /// <summary>
    /// Services that fetch documents outside the system over HTTPS: trusted providers' keys and
    /// introspection (federation-trust, and the edge's key cache), clients' key sets and metadata
    /// documents (token, authorize, client-registry), and the console, which signs in through the
    /// issuer's public URL.
    /// </summary>
    public static readonly IReadOnlySet<string> CallOutside = new HashSet<string>(StringComparer.Ordinal)
    {
        ServiceNames.Edge, ServiceNames.Authorize, ServiceNames.Token, ServiceNames.ClientRegistry, ServiceNames.FederationTrust, ServiceNames.Console,
    };

    /// <summary>Private, shared and link-local addresses (pods, nodes, cloud metadata): "outside" excludes them.</summary>
    private static readonly string[] Private = ["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"];

    public static IReadOnlyList<Call> Calls(PublishedModel model)
    {
        var calls = new SortedSet<(string, string, int)>();
        foreach (var caller in model.Projects.Values)
        {
            foreach (var (variable, _) in caller.Environment)
            {
                if (Discovery().Match(variable) is { Success: true } match
                    && match.Groups["callee"].Value is var callee && callee != caller.Name
                    && model.Projects.TryGetValue(callee, out var target)
                    && target.Bindings.TryGetValue(match.Groups["binding"].Value, out var binding) && binding.TargetPort is { } port)
                {
                    calls.Add((caller.Name, callee, port));
                }
            }
        }

        return [.. calls.Select(c => new Call(c.Item1, c.Item2, c.Item3))];
    }

    public static IEnumerable<V1NetworkPolicy> For(PublishedModel model, KubernetesSettings settings)
    {
        yield return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = "default-deny" },
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Ingress", "Egress"] },
        };
        yield return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = "dns" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector(),
                PolicyTypes = ["Egress"],
                Egress =
                [
                    new V1NetworkPolicyEgressRule
                    {
                        To = [Peer(namespaceName: "kube-system", pod: new Dictionary<string, string> { ["k8s-app"] = "kube-dns" })],
                        Ports = [new V1NetworkPolicyPort { Port = 53, Protocol = "UDP" }, new V1NetworkPolicyPort { Port = 53, Protocol = "TCP" }],
                    },
                ],
            },
        };

        var calls = Calls(model);
        foreach (var service in model.Projects.Keys.Order(StringComparer.Ordinal))
        {
            var ingress = calls.Where(c => c.Callee == service).GroupBy(c => c.Caller)
                .Select(g => Ingress([Peer(pod: Workloads.Selector(g.Key))], g.Select(c => c.Port))).ToList();
            if (service == ServiceNames.Edge)
            {
                // The only way in from outside: the ingress controller, to the edge's HTTP port.
                var http = model.Projects[service].Bindings["http"].TargetPort!.Value;
                ingress.Add(Ingress([Peer(namespaceName: settings.IngressNamespace)], [http]));
            }

            var egress = calls.Where(c => c.Caller == service).GroupBy(c => c.Callee)
                .Select(g => new V1NetworkPolicyEgressRule { To = [Peer(pod: Workloads.Selector(g.Key))], Ports = Ports(g.Select(c => c.Port)) }).ToList();
            if (CallOutside.Contains(service))
            {
                egress.Add(new V1NetworkPolicyEgressRule
                {
                    // The console reaches the issuer through the ingress's address, which may be private.
                    To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0", Except = service == ServiceNames.Console ? null : Private } }],
                    Ports = Ports([443]),
                });
            }

            yield return new V1NetworkPolicy
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "NetworkPolicy",
                Metadata = new V1ObjectMeta { Name = service, Labels = Workloads.Labels(service) },
                Spec = new V1NetworkPolicySpec
                {
                    PodSelector = new V1LabelSelector { MatchLabels = Workloads.Selector(service) },
                    PolicyTypes = ["Ingress", "Egress"],
                    Ingress = ingress.Count > 0 ? ingress : null,
                    Egress = egress.Count > 0 ? egress : null,
                },
            };
        }
    }

    public static V1NetworkPolicyIngressRule Ingress(IList<V1NetworkPolicyPeer> from, IEnumerable<int> ports) => new() { FromProperty = from, Ports = Ports(ports) };

    public static List<V1NetworkPolicyPort> Ports(IEnumerable<int> ports) =>
        [.. ports.Distinct().Order().Select(p => new V1NetworkPolicyPort { Port = p, Protocol = "TCP" })];

    /// <summary>Pods by label, in this namespace or (by name) another.</summary>
    public static V1NetworkPolicyPeer Peer(IDictionary<string, string>? pod = null, string? namespaceName = null) => new()
    {
        PodSelector = pod is null ? null : new V1LabelSelector { MatchLabels = pod },
        NamespaceSelector = namespaceName is null ? null : new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = namespaceName } },
    };

    [GeneratedRegex(@"^services__(?<callee>[a-z0-9-]+)__(?<binding>[a-z0-9-]+)__0$")]
    private static partial Regex Discovery();
}
