using System.Text.Json.Nodes;

namespace OAuthAspire.Deployment.Tests;

/// <summary>deploy/kubernetes is what the AppHost generates today, and every image it runs is one a service builds.</summary>
public sealed class GeneratedDeploymentTests
{
    [Fact]
    public async Task CheckedInDeploymentIsWhatTheAppHostGenerates()
    {
        var scratch = Directory.CreateTempSubdirectory("oauthaspire-k8s-").FullName;
        try
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var (exit, output, error) = await Repository.RunAsync("dotnet",
            [
                "run", "--no-build", "-c", configuration, "--project", "AppHost", "--",
                "--publisher", "manifest", "--output-path", Path.Combine(scratch, "aspire-manifest.json"),
                $"--Deploy:Kubernetes:Output={Path.Combine(scratch, "kubernetes")}",
            ]);
            Assert.True(exit == 0, $"generating failed: {output}{error}");

            var generated = Files(Path.Combine(scratch, "kubernetes"));
            var committed = Files(Repository.Kubernetes);
            Assert.NotEmpty(generated);
            var stale = generated.Keys.Union(committed.Keys).Order(StringComparer.Ordinal)
                .Where(f => generated.GetValueOrDefault(f) != committed.GetValueOrDefault(f))
                .Select(f => !committed.ContainsKey(f) ? $"{f} (missing)" : !generated.ContainsKey(f) ? $"{f} (no longer generated)" : f)
                .ToList();
            Assert.True(stale.Count == 0, $"deploy/kubernetes is stale: run deploy/generate. Differs: {string.Join(", ", stale)}");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task EveryServiceBuildsTheImageItsDeploymentRuns()
    {
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "aspire-manifest.json")))!["resources"]!.AsObject();
        var projects = manifest.Where(r => r.Value!["type"]!.GetValue<string>() == "project.v0").ToList();
        var deployments = (await Repository.RenderAsync("dev")).All<k8s.Models.V1Deployment>("Deployment").ToDictionary(d => d.Metadata.Name);
        Assert.Equal(projects.Select(p => p.Key).Order(), deployments.Keys.Order());
        foreach (var (name, resource) in projects)
        {
            var (exit, output, error) = await Repository.RunAsync("dotnet",
                ["msbuild", resource!["path"]!.GetValue<string>(), "-getProperty:ContainerRepository", "-getProperty:ContainerUser", "-getProperty:EnableSdkContainerSupport"]);
            Assert.True(exit == 0, $"{name}: {output}{error}");
            var properties = JsonNode.Parse(output)!["Properties"]!;
            Assert.Equal($"oauthaspire/{name}", properties["ContainerRepository"]!.GetValue<string>());
            Assert.Equal("app", properties["ContainerUser"]!.GetValue<string>());
            Assert.Equal("true", properties["EnableSdkContainerSupport"]!.GetValue<string>());
            // The dev overlay runs what `dotnet publish -t:PublishContainer` tags by default.
            Assert.Equal($"oauthaspire/{name}:dev", deployments[name].Spec.Template.Spec.Containers.Single().Image);
        }
    }

    /// <summary>The generated files (the vendored CRDs and hand-written notes are not generated).</summary>
    private static Dictionary<string, string> Files(string root) =>
        new[] { "base", "components", "overlays" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "create-secrets")).Where(File.Exists)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
}
