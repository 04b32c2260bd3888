using System.Text;
using k8s;
using k8s.Models;
using OAuthAspire.AppHost.Infrastructure;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>
/// Writes <c>deploy/kubernetes</c> from the AppHost's model in publish mode: a kustomize base (every
/// service's workload, the network policies, the ingress), components for where PostgreSQL and
/// RabbitMQ come from, and the overlays <c>dev</c>, <c>production</c> (the operators' clusters) and
/// <c>production-external</c> (managed services), plus the script that creates the Secrets. Run by
/// <c>deploy/generate</c>; a test regenerates it and compares.
/// </summary>
public static class KubernetesDeployment
{
    /// <summary>After the manifest is published, when <c>Deploy:Kubernetes:Output</c> asks for it.</summary>
    public static void WriteIfAsked(IDistributedApplicationBuilder builder, string[] args)
    {
        var settings = KubernetesSettings.From(builder.Configuration);
        if (!builder.ExecutionContext.IsPublishMode || string.IsNullOrEmpty(settings.Output))
        {
            return;
        }

        var manifest = builder.Configuration["Publishing:OutputPath"] ?? OutputPathOf(args)
            ?? throw new InvalidOperationException("Deploy:Kubernetes:Output needs the manifest: --publisher manifest --output-path <file>.");
        Write(PublishedModel.Read(manifest), settings, AuditStreamSettings.From(builder.Configuration), settings.Output);
    }

    private static string? OutputPathOf(string[] args)
    {
        var at = Array.IndexOf(args, "--output-path");
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    public static void Write(PublishedModel model, KubernetesSettings settings, AuditStreamSettings stream, string output)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var environment = new PodEnvironment(model);
        var databases = new Dictionary<string, DatabaseVariable[]>(StringComparer.Ordinal);
        var brokers = new Dictionary<string, BrokerVariable[]>(StringComparer.Ordinal);
        var baseResources = new List<string>();
        var everyVariable = new List<PodVariable>();
        foreach (var project in model.Projects.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var variables = environment.For(project).Select(v => v is LiteralVariable { Name: "RateLimits__Replicas" } limit
                // Each edge replica enforces its share of the limits: the share follows the replicas deployed.
                ? limit with { Value = Workloads.Count(settings.Replicas) }
                : v).ToList();
            // A caller's next identity key, trusted beside its current one while it rotates (README: key rotation).
            variables.AddRange(variables.OfType<ReferencedVariable>().Where(v => v.Name.StartsWith("ServiceIdentity__Trusted__", StringComparison.Ordinal) && v.Name.EndsWith("__0", StringComparison.Ordinal)).ToList()
                .Select(v => v with { Name = v.Name[..^1] + "1", Key = v.Key.Replace("-public", "-next-public", StringComparison.Ordinal), Optional = true }));
            // Optional settings of the overlay's ConfigMap: where telemetry goes, and the proxies the edge believes.
            variables.Add(new ReferencedVariable("OTEL_EXPORTER_OTLP_ENDPOINT", PodEnvironment.Settings, "otlp-endpoint", IsSecret: false, Optional: true));
            // Production unless the overlay says otherwise (dev: Development, which allows its http://localhost issuer).
            variables.Add(new ReferencedVariable("ASPNETCORE_ENVIRONMENT", PodEnvironment.Settings, "environment", IsSecret: false, Optional: true));
            if (project.Name == ServiceNames.Edge)
            {
                variables.Add(new ReferencedVariable("Edge__TrustedProxies", PodEnvironment.Settings, "trusted-proxies", IsSecret: false, Optional: true));
            }

            if (variables.OfType<DatabaseVariable>().ToArray() is { Length: > 0 } database)
            {
                databases[project.Name] = database;
            }

            if (variables.OfType<BrokerVariable>().ToArray() is { Length: > 0 } broker)
            {
                brokers[project.Name] = broker;
            }

            everyVariable.AddRange(variables);
            files[$"base/{project.Name}.yaml"] = Documents(Workloads.For(project, variables, settings));
            baseResources.Add($"{project.Name}.yaml");
        }

        files["base/network-policies.yaml"] = Documents(NetworkPolicies.For(model, settings));
        files["base/ingress.yaml"] = Documents([Ingress(settings)]);
        files["base/kustomization.yaml"] = Yaml(Kustomization("Kustomization", [.. baseResources, "network-policies.yaml", "ingress.yaml"]));

        var publishers = ServiceNames.All.Where(brokers.ContainsKey).Order(StringComparer.Ordinal).ToList();
        foreach (var component in new[]
        {
            StateComponents.CloudNativePg(databases),
            StateComponents.RabbitMqOperator(brokers, stream, publishers),
            StateComponents.External(databases, brokers),
        })
        {
            var kustomization = Kustomization("Component", component.Resources.Count > 0 ? ["resources.yaml"] : []);
            kustomization["patches"] = component.Patches.Keys.Order(StringComparer.Ordinal).Select(s => new Dictionary<string, object> { ["path"] = $"patches/{s}.yaml" }).ToList();
            files[$"components/{component.Name}/kustomization.yaml"] = Yaml(kustomization);
            if (component.Resources.Count > 0)
            {
                files[$"components/{component.Name}/resources.yaml"] = Documents(component.Resources);
            }

            foreach (var (service, patch) in component.Patches)
            {
                files[$"components/{component.Name}/patches/{service}.yaml"] = Yaml(patch);
            }
        }

        foreach (var (name, overlay) in Overlays.All(model, settings))
        {
            files[$"overlays/{name}/kustomization.yaml"] = Yaml(overlay.Kustomization);
            foreach (var (file, content) in overlay.Files)
            {
                files[$"overlays/{name}/{file}"] = content;
            }
        }

        files["create-secrets"] = SecretsScript.For(everyVariable, databases, brokers, settings);

        WriteFiles(output, files);
    }

    /// <summary>Replaces the generated files (and only those: the vendored CRDs and the README stay).</summary>
    private static void WriteFiles(string output, SortedDictionary<string, string> files)
    {
        foreach (var generated in new[] { "base", "components", "overlays" }.Select(d => Path.Combine(output, d)).Where(Directory.Exists))
        {
            Directory.Delete(generated, recursive: true);
        }

        foreach (var (file, content) in files)
        {
            var path = Path.Combine(output, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var header = file.EndsWith(".yaml", StringComparison.Ordinal) ? "# Generated by deploy/generate from the AppHost's model: do not edit.\n" : "";
            File.WriteAllText(path, header + content, new UTF8Encoding(false));
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(output, "create-secrets"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>Only the edge is exposed: its HTTP port behind the ingress controller, which terminates TLS.</summary>
    private static V1Ingress Ingress(KubernetesSettings settings) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "Ingress",
        Metadata = new V1ObjectMeta
        {
            Name = "oauthaspire",
            Labels = Workloads.Labels(ServiceNames.Edge),
            // Redirects to the authorize endpoint and its cookies make headers larger than nginx's 4k default.
            Annotations = new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/proxy-buffer-size"] = "16k" },
        },
        Spec = new V1IngressSpec
        {
            IngressClassName = settings.IngressClass,
            Rules = [EdgeRule(host: null)],
        },
    };

    /// <summary>Every path of a host (or of any host) to the edge's HTTP port.</summary>
    public static V1IngressRule EdgeRule(string? host) => new()
    {
        Host = host,
        Http = new V1HTTPIngressRuleValue
        {
            Paths =
            [
                new V1HTTPIngressPath
                {
                    Path = "/",
                    PathType = "Prefix",
                    Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = ServiceNames.Edge, Port = new V1ServiceBackendPort { Name = "http" } } },
                },
            ],
        },
    };

    public static Dictionary<string, object> Kustomization(string kind, IEnumerable<string> resources)
    {
        var kustomization = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["apiVersion"] = kind == "Component" ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1",
            ["kind"] = kind,
        };
        if (resources.ToList() is { Count: > 0 } list)
        {
            kustomization["resources"] = list;
        }

        return kustomization;
    }

    public static string Yaml(object value) => KubernetesYaml.Serialize(value).TrimEnd('\n') + "\n";

    public static string Documents(IEnumerable<object> values) => string.Join("---\n", values.Select(Yaml));
}
