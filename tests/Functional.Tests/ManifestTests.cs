using System.Diagnostics;
using System.Text.Json.Nodes;

namespace OAuthAspire.Functional.Tests;

/// <summary>The committed aspire-manifest.json is what the AppHost publishes today, and portable.</summary>
public sealed class ManifestTests
{
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, ".."));

    [Fact]
    public async Task CommittedManifestMatchesTheAppHost()
    {
        var committed = Path.Combine(RepositoryRoot, "aspire-manifest.json");
        var generated = Path.Combine(RepositoryRoot, "aspire-manifest.check.json");
        try
        {
            await PublishManifestAsync(generated);

            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(committed)), JsonNode.Parse(await File.ReadAllTextAsync(generated))),
                "aspire-manifest.json is stale: run `dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json`.");
        }
        finally
        {
            File.Delete(generated);
        }
    }

    [Fact]
    public async Task ManifestHoldsNothingMachineSpecific()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "aspire-manifest.json"));
        var manifest = JsonNode.Parse(text)!;

        Assert.DoesNotContain(RepositoryRoot, text, StringComparison.Ordinal);
        Assert.DoesNotContain("executable.v0", text, StringComparison.Ordinal);
        foreach (var (name, resource) in manifest["resources"]!.AsObject())
        {
            var path = resource!["path"]?.GetValue<string>();
            Assert.True(path is null || !Path.IsPathRooted(path), $"{name} has the absolute path {path}");
            // Secrets are parameters with generated defaults, never literal values; the services'
            // key pairs (a manifest can generate strings, not EC keys) have no default at all.
            if (resource["inputs"]?["value"]?["secret"]?.GetValue<bool>() == true)
            {
                var fallback = resource["inputs"]!["value"]!["default"];
                Assert.True(name.StartsWith("service-key-", StringComparison.Ordinal) || name.StartsWith("audit-key-", StringComparison.Ordinal) ? fallback is null : fallback?["generate"] is not null,
                    $"{name}: a secret with a literal default");
            }
        }

        Assert.All(new[] { "postgres", "rabbitmq" }, name => Assert.Equal("container.v0", manifest["resources"]![name]!["type"]!.GetValue<string>()));
    }

    private static async Task PublishManifestAsync(string outputPath)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "run", "--no-build", "-c", configuration, "--project", "AppHost", "--", "--publisher", "manifest", "--output-path", outputPath })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"manifest publishing failed: {await output}{await error}");
    }
}
