namespace OAuthAspire.Deployment.Tests;

/// <summary>
/// Every rendered object validates against the Kubernetes 1.36 API schemas (kubernetes-models, with
/// fields the API does not know refused) and the operators' custom resources against their vendored
/// CRDs (deploy/kubernetes/crds): tests/Deployment.Tests/validator.
/// </summary>
public sealed class SchemaValidationTests
{
    public static TheoryData<string> Overlays => new(Repository.Overlays);

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryRenderedObjectValidates(string overlay)
    {
        var rendered = await Repository.RenderAsync(overlay);
        var (exit, output, error) = await ValidateAsync(Repository.RawYaml(rendered));
        Assert.True(exit == 0, $"overlays/{overlay}: {output}{error}");
        Assert.Contains($"{rendered.Count} objects valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheValidatorRefusesWhatTheApiServerWould()
    {
        var rendered = await Repository.RenderAsync("production");
        var deployment = rendered.Single(o => o.Kind == "Deployment" && o.Name == "edge").Yaml.Replace("  replicas:", "  replicass:", StringComparison.Ordinal);
        var cluster = rendered.Single(o => o.Kind == "Cluster").Yaml.Replace("  instances: 3", "  instances: \"three\"", StringComparison.Ordinal);
        var queue = rendered.Single(o => o.Kind == "Queue").Yaml.Replace("  durable: true", "  durabel: true", StringComparison.Ordinal);
        var (exit, output, _) = await ValidateAsync(string.Join("---\n", deployment, cluster, queue));
        Assert.Equal(1, exit);
        Assert.Contains("unknown field \"replicass\"", output, StringComparison.Ordinal);
        Assert.Contains("Cluster/oauthaspire-postgres: /spec/instances must be integer", output, StringComparison.Ordinal);
        Assert.Contains("'durabel'", output, StringComparison.Ordinal);
    }

    private static Task<(int Exit, string Output, string Error)> ValidateAsync(string yaml) =>
        Repository.RunAsync("node",
            [Path.Combine(Repository.Root, "tests", "Deployment.Tests", "validator", "validate.mjs"), .. Directory.GetFiles(Path.Combine(Repository.Kubernetes, "crds"), "*.yaml").Order(StringComparer.Ordinal)],
            input: yaml);
}
