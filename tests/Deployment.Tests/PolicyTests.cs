using System.Text.RegularExpressions;
using k8s.Models;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Deployment.Tests;

/// <summary>What every workload of every overlay must be: probed, bounded, non-root, disruption-budgeted, exposed only through the edge, holding no secret.</summary>
public sealed partial class PolicyTests
{
    public static TheoryData<string> Overlays => new(Repository.Overlays);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryDeploymentIsProbedBoundedAndNonRoot(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        var deployments = rendered.All<V1Deployment>("Deployment").ToList();
        var accounts = rendered.All<V1ServiceAccount>("ServiceAccount").ToDictionary(a => a.Metadata.Name);
        Assert.NotEmpty(deployments);
        foreach (var deployment in deployments)
        {
            var name = deployment.Metadata.Name;
            var pod = deployment.Spec.Template.Spec;
            var container = Assert.Single(pod.Containers);
            Assert.True(container.ReadinessProbe?.HttpGet is { Path: "/health" } ready && ready.Port.Value == "http", $"{name}: readiness on /health");
            Assert.True(container.LivenessProbe?.HttpGet is { Path: "/alive" } alive && alive.Port.Value == "http", $"{name}: liveness on /alive");
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container.Resources?.Requests?.ContainsKey(resource) == true, $"{name}: {resource} request");
                Assert.True(container.Resources?.Limits?.ContainsKey(resource) == true, $"{name}: {resource} limit");
            }

            Assert.True(pod.SecurityContext?.RunAsNonRoot == true && pod.SecurityContext.RunAsUser is > 0, $"{name}: pod runs as non-root");
            Assert.Equal("RuntimeDefault", pod.SecurityContext?.SeccompProfile?.Type);
            var security = container.SecurityContext;
            Assert.True(security is { RunAsNonRoot: true, ReadOnlyRootFilesystem: true, AllowPrivilegeEscalation: false }, $"{name}: container non-root, read-only, no escalation");
            Assert.Equal(["ALL"], security!.Capabilities?.Drop ?? []);
            Assert.False(pod.HostNetwork == true || pod.HostPID == true || pod.HostIPC == true, $"{name}: shares nothing with the node");
            // Its own identity, and no API token: no service calls the Kubernetes API.
            Assert.Equal(name, pod.ServiceAccountName);
            Assert.False(pod.AutomountServiceAccountToken ?? true, $"{name}: a service-account token is mounted");
            Assert.False(accounts[name].AutomountServiceAccountToken ?? true, $"{name}: its ServiceAccount mounts tokens by default");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryDeploymentHasADisruptionBudgetAndTheStatelessOnesAnAutoscaler(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        var budgets = rendered.All<V1PodDisruptionBudget>("PodDisruptionBudget").ToList();
        var scalers = rendered.All<V2HorizontalPodAutoscaler>("HorizontalPodAutoscaler").ToDictionary(h => h.Spec.ScaleTargetRef.Name);
        foreach (var deployment in rendered.All<V1Deployment>("Deployment"))
        {
            var name = deployment.Metadata.Name;
            var labels = deployment.Spec.Template.Metadata.Labels;
            Assert.True(budgets.Count(b => b.Spec.Selector.MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)) == 1, $"{name}: exactly one PodDisruptionBudget selects its pods");
            // The edge shares its rate limits among a known number of replicas; the console's key ring is on one volume.
            if (name is ServiceNames.Edge or ServiceNames.Console)
            {
                Assert.False(scalers.ContainsKey(name), $"{name} must not be autoscaled");
            }
            else
            {
                Assert.True(scalers.TryGetValue(name, out var scaler), $"{name}: no HorizontalPodAutoscaler");
                // The autoscaler owns the count: a replica count in the Deployment would be reset by every apply.
                Assert.Null(deployment.Spec.Replicas);
                Assert.True(scaler!.Spec.MinReplicas >= 1 && scaler.Spec.MaxReplicas > scaler.Spec.MinReplicas, $"{name}: the autoscaler cannot scale");
            }
        }

        var edge = rendered.All<V1Deployment>("Deployment").Single(d => d.Metadata.Name == ServiceNames.Edge);
        Assert.Equal(edge.Spec.Replicas?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            edge.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "RateLimits__Replicas").Value);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task OnlyTheEdgeIsExposed(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        Assert.All(rendered.All<V1Service>("Service"), s => Assert.True(s.Spec.Type is null or "ClusterIP", $"{s.Metadata.Name} is exposed as {s.Spec.Type}"));
        var ingress = Assert.Single(rendered.All<V1Ingress>("Ingress"));
        var backends = ingress.Spec.Rules.SelectMany(r => r.Http.Paths).Select(p => p.Backend.Service.Name).Distinct();
        Assert.Equal([ServiceNames.Edge], backends);
        if (overlay != "dev")
        {
            var tls = Assert.Single(ingress.Spec.Tls);
            Assert.False(string.IsNullOrEmpty(tls.SecretName));
            Assert.Equal(tls.Hosts, ingress.Spec.Rules.Select(r => r.Host));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task NoSecretValueIsInTheManifests(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        Assert.DoesNotContain(rendered, o => o.Kind == "Secret");
        foreach (var deployment in rendered.All<V1Deployment>("Deployment"))
        {
            foreach (var variable in deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []))
            {
                // A credential is a reference to the operator's Secret, or $(VARIABLE) taken from one.
                Assert.False(variable.Value is { } value && LiteralCredential().IsMatch(value), $"{deployment.Metadata.Name}: {variable.Name} holds a credential");
                Assert.False(variable.Value is not null && variable.ValueFrom is not null, $"{deployment.Metadata.Name}: {variable.Name}");
                if (SecretName().IsMatch(variable.Name))
                {
                    Assert.True(variable.ValueFrom?.SecretKeyRef is not null, $"{deployment.Metadata.Name}: {variable.Name} is not taken from a Secret");
                }
            }
        }

        // The only data is the overlay's settings: the issuer, dev's environment, production's trusted proxies; nothing secret.
        var settings = Assert.Single(rendered.All<V1ConfigMap>("ConfigMap"));
        Assert.Equal(overlay == "dev" ? ["environment", "issuer"] : ["issuer", "trusted-proxies"], settings.Data.Keys.Order());
        Assert.StartsWith(overlay == "dev" ? "http://localhost:" : "https://", settings.Data["issuer"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task EachDatabaseLoginReachesOnlyItsOwnDatabaseOverVerifiedTls(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        var cluster = k8s.KubernetesYaml.Deserialize<Dictionary<string, object>>(rendered.Single(o => o.Kind == "Cluster").Yaml);
        var rules = ((List<object>)Map(Map(cluster["spec"])["postgresql"])["pg_hba"]).Cast<string>().ToList();
        var databases = rendered.Where(o => o.Kind == "Database").Select(o => Map(k8s.KubernetesYaml.Deserialize<Dictionary<string, object>>(o.Yaml)["spec"]))
            .ToDictionary(d => (string)d["owner"], d => (string)d["name"]);
        Assert.NotEmpty(databases);
        // Its own database over TLS, then nothing for anyone (the operator's own rules come before these).
        Assert.Equal([.. databases.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"hostssl {d.Value} {d.Key} all scram-sha-256"), "host all all all reject"], rules);
        foreach (var deployment in rendered.All<V1Deployment>("Deployment"))
        {
            foreach (var connection in deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []).Where(e => e.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && e.Name != "ConnectionStrings__rabbitmq"))
            {
                Assert.Contains("SSL Mode=VerifyFull;Root Certificate=", connection.Value, StringComparison.Ordinal);
                var owner = databases.Single(d => connection.Value.Contains($"Database={d.Value};", StringComparison.Ordinal)).Key;
                Assert.Contains($"Username={owner};", connection.Value, StringComparison.Ordinal);
            }
        }
    }

    private static Dictionary<object, object> Map(object value) => (Dictionary<object, object>)value;

    [GeneratedRegex(@"(Password=(?!\$\()|amqps?://[^:/]+:(?!\$\())", RegexOptions.IgnoreCase)]
    private static partial Regex LiteralCredential();

    /// <summary>Variables that carry a secret parameter (keys, passwords, the bootstrap secrets).</summary>
    [GeneratedRegex(@"(PrivateKey|EncryptionKey|ClientSecret|KeyRingKey|AdminPassword|^Audit__Key|^AuditHash__Key|_PASSWORD)$")]
    private static partial Regex SecretName();
}
