using System.Text.Json.Nodes;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>An endpoint of a project as published: its scheme and the port its container listens on.</summary>
public sealed record PublishedBinding(string Name, string Scheme, int? TargetPort, bool External);

/// <summary>A project of the AppHost as published: its environment (with Aspire's <c>{resource.property}</c> expressions) and endpoints.</summary>
public sealed record PublishedProject(string Name, string ProjectPath, IReadOnlyList<KeyValuePair<string, string>> Environment, IReadOnlyDictionary<string, PublishedBinding> Bindings);

/// <summary>A parameter: a secret (the operator's Secret holds it), a plain value without a default (the operator's ConfigMap), or a default.</summary>
public sealed record PublishedParameter(string Name, bool Secret, string? Default);

/// <summary>
/// The AppHost's model in publish mode, read from the manifest Aspire writes for it: what a
/// deployment must reproduce, with no second copy of the services' settings to keep in step.
/// </summary>
public sealed record PublishedModel(
    IReadOnlyDictionary<string, PublishedProject> Projects,
    IReadOnlyDictionary<string, PublishedParameter> Parameters,
    IReadOnlyDictionary<string, string> ConnectionStrings)
{
    public static PublishedModel Read(string manifestPath)
    {
        var resources = JsonNode.Parse(File.ReadAllText(manifestPath))?["resources"]?.AsObject()
            ?? throw new InvalidDataException($"{manifestPath} holds no resources.");
        var projects = new Dictionary<string, PublishedProject>(StringComparer.Ordinal);
        var parameters = new Dictionary<string, PublishedParameter>(StringComparer.Ordinal);
        var connections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in resources)
        {
            var resource = node!.AsObject();
            switch (resource["type"]?.GetValue<string>())
            {
                case "project.v0":
                    projects[name] = new PublishedProject(
                        name,
                        resource["path"]!.GetValue<string>(),
                        [.. (resource["env"]?.AsObject() ?? []).Select(e => KeyValuePair.Create(e.Key, e.Value!.GetValue<string>()))],
                        (resource["bindings"]?.AsObject() ?? []).ToDictionary(
                            b => b.Key,
                            b => new PublishedBinding(b.Key, b.Value!["scheme"]!.GetValue<string>(), b.Value["targetPort"]?.GetValue<int>(), b.Value["external"]?.GetValue<bool>() == true),
                            StringComparer.Ordinal));
                    break;
                case "parameter.v0":
                    var input = resource["inputs"]?["value"];
                    parameters[name] = new PublishedParameter(name, input?["secret"]?.GetValue<bool>() == true, input?["default"]?["value"]?.GetValue<string>());
                    break;
                case "value.v0":
                    connections[name] = resource["connectionString"]?.GetValue<string>() ?? "";
                    break;
            }
        }

        return new PublishedModel(projects, parameters, connections);
    }
}
