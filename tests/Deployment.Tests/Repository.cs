using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace OAuthAspire.Deployment.Tests;

/// <summary>One object of a rendered overlay: its header, and its YAML to read as a typed object.</summary>
public sealed record RenderedObject(string ApiVersion, string Kind, string Name, string Yaml)
{
    public T As<T>() => KubernetesYaml.Deserialize<T>(Yaml);
}

/// <summary>The repository's deployment, and the programs the tests run on it.</summary>
public static partial class Repository
{
    public static readonly string Root = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, ".."));

    public static readonly string Kubernetes = Path.Combine(Root, "deploy", "kubernetes");

    public static readonly string[] Overlays = ["dev", "production", "production-external"];

    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<RenderedObject>>>> Rendered = new(StringComparer.Ordinal);

    /// <summary><c>kubectl kustomize</c> of an overlay, once per test run.</summary>
    public static Task<IReadOnlyList<RenderedObject>> RenderAsync(string overlay) =>
        Rendered.GetOrAdd(overlay, o => new Lazy<Task<IReadOnlyList<RenderedObject>>>(async () =>
        {
            var (exit, output, error) = await RunAsync("kubectl", ["kustomize", Path.Combine(Kubernetes, "overlays", o)]);
            Assert.True(exit == 0, $"kubectl kustomize overlays/{o} failed: {error}");
            return Split(output);
        })).Value;

    public static string RawYaml(IReadOnlyList<RenderedObject> objects) => string.Join("---\n", objects.Select(o => o.Yaml));

    public static IReadOnlyList<RenderedObject> Split(string yaml)
    {
        var objects = new List<RenderedObject>();
        foreach (var document in DocumentSeparator().Split(yaml).Where(d => !string.IsNullOrWhiteSpace(d)))
        {
            var header = KubernetesYaml.Deserialize<Header>(document);
            objects.Add(new RenderedObject(header.ApiVersion, header.Kind, header.Metadata?.Name ?? "", document.EndsWith('\n') ? document : document + "\n"));
        }

        return objects;
    }

    public static IEnumerable<T> All<T>(this IReadOnlyList<RenderedObject> objects, string kind) =>
        objects.Where(o => o.Kind == kind).Select(o => o.As<T>());

    public static async Task<(int Exit, string Output, string Error)> RunAsync(string program, IEnumerable<string> arguments, string? input = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }

    /// <summary>A label's value, if the labels have it.</summary>
    public static string? Label(this IDictionary<string, string>? labels, string key) => labels is not null && labels.TryGetValue(key, out var value) ? value : null;

    /// <summary>What every object starts with.</summary>
    private sealed class Header
    {
        public string ApiVersion { get; set; } = "";

        public string Kind { get; set; } = "";

        public V1ObjectMeta? Metadata { get; set; }
    }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
