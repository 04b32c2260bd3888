using System.Globalization;
using System.Text.RegularExpressions;
using k8s.Models;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>One environment variable of a service's pod, as the published model asks for it.</summary>
public abstract record PodVariable(string Name);

/// <summary>A fixed value.</summary>
public sealed record LiteralVariable(string Name, string Value) : PodVariable(Name);

/// <summary>A key of a Secret or ConfigMap the operator creates (never in the manifests), or of the overlay's settings.</summary>
public sealed record ReferencedVariable(string Name, string Source, string Key, bool IsSecret, bool Optional = false) : PodVariable(Name);

/// <summary>A PostgreSQL connection string: where is the state component's choice (the operator's cluster, or a managed service).</summary>
public sealed record DatabaseVariable(string Name, string Role, string Database) : PodVariable(Name);

/// <summary>A RabbitMQ connection string for the service's own broker login.</summary>
public sealed record BrokerVariable(string Name, string Login) : PodVariable(Name);

/// <summary>
/// Turns a published project's environment (Aspire's <c>{resource.property}</c> expressions) into
/// its pod's: ports and service URLs become the Services' names, parameters become references to
/// the operator's Secrets and ConfigMap, connection strings are left to the state components, and
/// the edge's URL (the issuer) comes from the overlay's settings.
/// </summary>
public sealed partial class PodEnvironment(PublishedModel model)
{
    /// <summary>The overlay's ConfigMap of settings: the issuer, and optional ones (telemetry, proxies).</summary>
    public const string Settings = "oauthaspire-settings";

    /// <summary>The operator's ConfigMap of plain parameters without a default (the services' public keys).</summary>
    public const string Parameters = "oauthaspire-parameters";

    public static string SecretOf(string service) => $"oauthaspire-{service}";

    public static string DatabaseSecretOf(string service) => $"oauthaspire-{service}-db";

    public static string BrokerSecretOf(string service) => $"oauthaspire-{service}-broker";

    public IReadOnlyList<PodVariable> For(PublishedProject project)
    {
        var variables = new List<PodVariable>();
        foreach (var (name, template) in project.Environment)
        {
            if (Translate(project, name, template) is { } variable)
            {
                variables.Add(variable);
            }
        }

        return variables;
    }

    private PodVariable? Translate(PublishedProject project, string name, string template)
    {
        var references = Expression().Matches(template);
        if (references.Count == 0)
        {
            return new LiteralVariable(name, template);
        }

        // One whole reference: a parameter, a connection string or the issuer can come from elsewhere.
        if (references is [{ } whole] && whole.Value == template)
        {
            var (resource, property) = Split(whole.Groups["ref"].Value);
            if (property == "value" && model.Parameters.TryGetValue(resource, out var parameter))
            {
                return parameter switch
                {
                    { Secret: true } => new ReferencedVariable(name, SecretOf(project.Name), parameter.Name, IsSecret: true),
                    { Default: { } fallback } => new LiteralVariable(name, fallback),
                    _ => new ReferencedVariable(name, Parameters, parameter.Name, IsSecret: false),
                };
            }

            if (property == "connectionString" && model.ConnectionStrings.TryGetValue(resource, out var connection))
            {
                return Connection(project, name, connection);
            }

            if (resource == OAuthAspire.ServiceDefaults.ServiceNames.Edge && property is "bindings.http.url" or "bindings.https.url")
            {
                return new ReferencedVariable(name, Settings, "issuer", IsSecret: false);
            }
        }

        // Within a value only endpoints may appear; a service's https endpoint has no counterpart
        // inside the cluster (no TLS between pods: see docs/SECURITY.md), so what names it is left out.
        var value = new System.Text.StringBuilder();
        var at = 0;
        foreach (Match reference in references)
        {
            value.Append(template, at, reference.Index - at);
            var (resource, property) = Split(reference.Groups["ref"].Value);
            var endpoint = EndpointPart().Match(property);
            if (!endpoint.Success || !model.Projects.TryGetValue(resource, out var target) || !target.Bindings.TryGetValue(endpoint.Groups["binding"].Value, out var binding))
            {
                throw new NotSupportedException($"{project.Name}: {name} = '{template}': {{{reference.Groups["ref"].Value}}} has no Kubernetes counterpart.");
            }

            if (binding.TargetPort is not { } port)
            {
                return null;
            }

            value.Append(endpoint.Groups["part"].Value switch
            {
                "targetPort" or "port" => port.ToString(CultureInfo.InvariantCulture),
                "host" => resource,
                _ => $"{binding.Scheme}://{resource}:{port.ToString(CultureInfo.InvariantCulture)}",
            });
            at = reference.Index + reference.Length;
        }

        value.Append(template, at, template.Length - at);
        return new LiteralVariable(name, value.ToString());
    }

    /// <summary>A service's connection string to PostgreSQL or RabbitMQ, by the login it names.</summary>
    private static PodVariable Connection(PublishedProject project, string name, string connection)
    {
        if (DatabaseConnection().Match(connection) is { Success: true } database)
        {
            return new DatabaseVariable(name, database.Groups["role"].Value, database.Groups["database"].Value);
        }

        if (BrokerConnection().Match(connection) is { Success: true } broker)
        {
            return new BrokerVariable(name, broker.Groups["login"].Value);
        }

        throw new NotSupportedException($"{project.Name}: {name}: the connection string '{connection}' is neither a service's database nor its broker login.");
    }

    private static (string Resource, string Property) Split(string reference)
    {
        var dot = reference.IndexOf('.', StringComparison.Ordinal);
        return (reference[..dot], reference[(dot + 1)..]);
    }

    /// <summary>The pod's variable, for what resolves without a state component.</summary>
    public static V1EnvVar ToEnvVar(PodVariable variable) => variable switch
    {
        LiteralVariable literal => Objects.Env(literal.Name, literal.Value),
        ReferencedVariable { IsSecret: true } secret => Objects.FromSecret(secret.Name, secret.Source, secret.Key, secret.Optional),
        ReferencedVariable config => Objects.FromConfigMap(config.Name, config.Source, config.Key, config.Optional),
        _ => throw new ArgumentException($"{variable.Name} is a connection string: a state component provides it.", nameof(variable)),
    };

    [GeneratedRegex(@"\{(?<ref>[A-Za-z0-9_.-]+)\}")]
    private static partial Regex Expression();

    [GeneratedRegex(@"^bindings\.(?<binding>[a-z0-9-]+)\.(?<part>url|host|port|targetPort)$")]
    private static partial Regex EndpointPart();

    [GeneratedRegex(@"^Host=\{postgres\.bindings\.tcp\.host\};Port=\{postgres\.bindings\.tcp\.port\};Username=(?<role>[a-z0-9_]+);Password=\{[a-z0-9-]+\.value\};Database=(?<database>[a-z0-9_]+)$")]
    private static partial Regex DatabaseConnection();

    [GeneratedRegex(@"^amqp://(?<login>[a-z0-9-]+):\{[a-z0-9-]+\.value\}@\{rabbitmq\.bindings\.tcp\.host\}:\{rabbitmq\.bindings\.tcp\.port\}/?$")]
    private static partial Regex BrokerConnection();
}
