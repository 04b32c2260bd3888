using k8s.Models;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Deployment.Tests;

/// <summary>
/// The NetworkPolicies allow exactly the AppHost's call graph: each call both ways (the callee's
/// ingress, the caller's egress), nothing from outside the namespace but to the edge, and the
/// state servers only from the services that own a database or a broker login.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string Name = "app.kubernetes.io/name";

    public static TheoryData<string> Overlays => new(Repository.Overlays);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EverythingIsDeniedUnlessAllowed(string overlay)
    {
        var policies = (await Repository.RenderAsync(overlay)).All<V1NetworkPolicy>("NetworkPolicy").ToList();
        Assert.Contains(policies, p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PodSelector.MatchExpressions is null
            && p.Spec.PolicyTypes.Order().SequenceEqual(["Egress", "Ingress"]) && p.Spec.Ingress is null && p.Spec.Egress is null);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task TheAllowedCallsAreTheAppHostsCallGraph(string overlay)
    {
        var model = await AppHostModel.GetAsync();
        var rendered = await Repository.RenderAsync(overlay);
        var services = rendered.All<V1Deployment>("Deployment").Select(d => d.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var policies = rendered.All<V1NetworkPolicy>("NetworkPolicy").ToList();

        var ingress = new HashSet<(string Caller, string Callee)>();
        var egress = new HashSet<(string Caller, string Callee)>();
        var fromOutside = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            if (policy.Spec.PodSelector.MatchLabels.Label(Name) is not { } selected || !services.Contains(selected))
            {
                continue;
            }

            foreach (var peer in policy.Spec.Ingress?.SelectMany(r => r.FromProperty ?? []) ?? [])
            {
                if (peer.NamespaceSelector is not null || peer.IpBlock is not null)
                {
                    fromOutside.Add(selected);
                }
                else if (peer.PodSelector?.MatchLabels.Label(Name) is { } caller && services.Contains(caller))
                {
                    ingress.Add((caller, selected));
                }
                else
                {
                    Assert.Fail($"{policy.Metadata.Name} lets in pods that are no service: {KubernetesYamlOf(peer)}");
                }
            }

            foreach (var peer in policy.Spec.Egress?.SelectMany(r => r.To ?? []) ?? [])
            {
                if (peer.PodSelector?.MatchLabels.Label(Name) is { } callee && services.Contains(callee))
                {
                    egress.Add((selected, callee));
                }
            }
        }

        var calls = model.References.ToHashSet();
        Assert.Equal(Show(calls), Show(ingress));
        Assert.Equal(Show(calls), Show(egress));
        Assert.Equal([ServiceNames.Edge], fromOutside);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task PostgresAndRabbitMqTakeOnlyTheirOwnersCalls(string overlay)
    {
        var model = await AppHostModel.GetAsync();
        var policies = (await Repository.RenderAsync(overlay)).All<V1NetworkPolicy>("NetworkPolicy").ToList();

        HashSet<string> Clients(string selectorKey, string selectorValue, int port) =>
        [
            .. policies.Where(p => p.Spec.PodSelector.MatchLabels.Label(selectorKey) == selectorValue)
                .SelectMany(p => p.Spec.Ingress ?? []).Where(r => r.Ports?.Any(q => q.Port.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture)) == true)
                .SelectMany(r => r.FromProperty ?? []).Where(peer => peer.NamespaceSelector is null)
                .Select(peer => peer.PodSelector?.MatchLabels.Label(Name)).OfType<string>()
                // The cluster's own nodes talk to each other; they are no client.
                .Where(client => client != selectorValue),
        ];

        HashSet<string> Reaching(string selectorKey, string selectorValue, int port) =>
        [
            .. policies.Where(p => p.Spec.PodSelector.MatchLabels.Label(Name) is not null)
                .Where(p => p.Spec.Egress?.Any(r => r.To?.Any(t => t.PodSelector?.MatchLabels.Label(selectorKey) == selectorValue) == true
                    && r.Ports?.Any(q => q.Port.Value == port.ToString(System.Globalization.CultureInfo.InvariantCulture)) == true) == true)
                .Select(p => p.Spec.PodSelector.MatchLabels[Name]).Where(client => client != selectorValue),
        ];

        Assert.Equal(model.WithDatabase.Order(), Clients("cnpg.io/cluster", "oauthaspire-postgres", 5432).Order());
        Assert.Equal(model.WithDatabase.Order(), Reaching("cnpg.io/cluster", "oauthaspire-postgres", 5432).Order());
        Assert.Equal(model.WithBrokerLogin.Order(), Clients(Name, "oauthaspire-rabbitmq", 5672).Order());
        Assert.Equal(model.WithBrokerLogin.Order(), Reaching(Name, "oauthaspire-rabbitmq", 5672).Order());
    }

    private static string[] Show(IEnumerable<(string Caller, string Callee)> edges) => [.. edges.Select(e => $"{e.Caller} --> {e.Callee}").Order(StringComparer.Ordinal)];

    private static string KubernetesYamlOf(object value) => k8s.KubernetesYaml.Serialize(value);
}
