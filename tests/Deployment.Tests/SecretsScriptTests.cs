using System.Security.Cryptography;
using k8s.Models;

namespace OAuthAspire.Deployment.Tests;

/// <summary>
/// deploy/kubernetes/create-secrets makes every Secret key and parameter the manifests reference,
/// with fresh values: P-256 keys whose public halves are in the parameters ConfigMap, one value for
/// a key two services share, the logins the operators' custom resources name.
/// </summary>
public sealed class SecretsScriptTests
{
    [Fact]
    public async Task TheScriptMakesEverythingTheManifestsReference()
    {
        var (secrets, parameters) = await RunAsync();
        foreach (var overlay in Repository.Overlays)
        {
            var rendered = await Repository.RenderAsync(overlay);
            foreach (var deployment in rendered.All<V1Deployment>("Deployment"))
            {
                foreach (var variable in deployment.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []))
                {
                    if (variable.ValueFrom?.SecretKeyRef is { } secret && secret.Optional != true)
                    {
                        Assert.True(secrets.TryGetValue(secret.Name, out var made) && made.Data.ContainsKey(secret.Key),
                            $"{overlay}: {deployment.Metadata.Name} reads {secret.Name}/{secret.Key}, which the script does not make");
                    }

                    if (variable.ValueFrom?.ConfigMapKeyRef is { } config && config.Optional != true && !config.Name.StartsWith("oauthaspire-settings", StringComparison.Ordinal))
                    {
                        Assert.True(config.Name == parameters.Metadata.Name && parameters.Data.ContainsKey(config.Key),
                            $"{overlay}: {deployment.Metadata.Name} reads {config.Name}/{config.Key}, which the script does not make");
                    }
                }
            }

            foreach (var role in rendered.Where(o => o.Kind == "Cluster").SelectMany(o => ManagedRoles(o.Yaml)))
            {
                var secret = secrets[role.Secret];
                Assert.Equal("kubernetes.io/basic-auth", secret.Type);
                Assert.Equal(role.Name, Text(secret, "username"));
            }

            foreach (var user in rendered.Where(o => o.Kind == "User"))
            {
                var secret = secrets[CredentialsSecret(user.Yaml)];
                Assert.Equal("true", secret.Metadata.Labels["rabbitmq.com/topology-operator"]);
                Assert.Equal(user.Name, Text(secret, "username"));
            }
        }

        // Each service's identity key is a P-256 key whose public half every service is given.
        var keys = secrets.Values.SelectMany(s => s.Data).Where(d => d.Key.StartsWith("service-key-", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, keys.Select(k => k.Key).Distinct().Count());
        foreach (var (name, value) in keys)
        {
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(System.Text.Encoding.UTF8.GetString(value)), out _);
            Assert.Equal(256, key.KeySize);
            Assert.Equal(Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), parameters.Data[$"{name}-public"]);
        }

        // A key two services share has one value (the token service reads what client-registry encrypts).
        Assert.Equal(Text(secrets["oauthaspire-token"], "key-encryption-key"), Text(secrets["oauthaspire-client-registry"], "key-encryption-key"));
        Assert.Equal(Text(secrets["oauthaspire-edge"], "user-name-hash-key"), Text(secrets["oauthaspire-directory"], "user-name-hash-key"));
        Assert.Equal(Text(secrets["oauthaspire-client-registry"], "console-client-secret"), Text(secrets["oauthaspire-console"], "console-client-secret"));
        Assert.Contains("Host=pg.example.net;", Text(secrets["oauthaspire-token-db"], "connection-string"), StringComparison.Ordinal);
        Assert.StartsWith("amqps://token:", Text(secrets["oauthaspire-token-broker"], "uri"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryRunMakesFreshValues()
    {
        var (first, _) = await RunAsync();
        var (second, _) = await RunAsync();
        Assert.NotEqual(Text(first["oauthaspire-token"], "key-encryption-key"), Text(second["oauthaspire-token"], "key-encryption-key"));
        Assert.NotEqual(Text(first["oauthaspire-token-db"], "password"), Text(second["oauthaspire-token-db"], "password"));
        Assert.True(Text(first["oauthaspire-token-db"], "password").Length >= 32);
    }

    [Fact]
    public async Task AFailingToolStopsTheScriptBeforeAnythingIsMade()
    {
        // An openssl that fails: no empty password or key may ever reach a Secret.
        var tools = Directory.CreateTempSubdirectory("oauthaspire-tools-").FullName;
        try
        {
            var openssl = Path.Combine(tools, "openssl");
            await File.WriteAllTextAsync(openssl, "#!/bin/sh\nexit 1\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(openssl, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }

            var (exit, output, _) = await Repository.RunAsync("bash", [Path.Combine(Repository.Kubernetes, "create-secrets")], environment: new Dictionary<string, string>
            {
                ["DRY_RUN"] = "1",
                ["PATH"] = $"{tools}:{Environment.GetEnvironmentVariable("PATH")}",
            });
            Assert.NotEqual(0, exit);
            Assert.DoesNotContain("kind: Secret", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    private static async Task<(Dictionary<string, V1Secret> Secrets, V1ConfigMap Parameters)> RunAsync()
    {
        var (exit, output, error) = await Repository.RunAsync("bash", [Path.Combine(Repository.Kubernetes, "create-secrets")], environment: new Dictionary<string, string>
        {
            ["DRY_RUN"] = "1",
            ["EXTERNAL_POSTGRES_HOST"] = "pg.example.net",
            ["EXTERNAL_RABBITMQ_HOST"] = "mq.example.net",
        });
        Assert.True(exit == 0, $"create-secrets: {error}");
        var objects = Repository.Split(output);
        return (objects.All<V1Secret>("Secret").ToDictionary(s => s.Metadata.Name), Assert.Single(objects.All<V1ConfigMap>("ConfigMap")));
    }

    private static string Text(V1Secret secret, string key) => System.Text.Encoding.UTF8.GetString(secret.Data[key]);

    private static IEnumerable<(string Name, string Secret)> ManagedRoles(string yaml)
    {
        var cluster = k8s.KubernetesYaml.Deserialize<Dictionary<string, object>>(yaml);
        var roles = (List<object>)((Dictionary<object, object>)((Dictionary<object, object>)cluster["spec"])["managed"])["roles"];
        return roles.Cast<Dictionary<object, object>>().Select(r => ((string)r["name"], (string)((Dictionary<object, object>)r["passwordSecret"])["name"]));
    }

    private static string CredentialsSecret(string yaml)
    {
        var user = k8s.KubernetesYaml.Deserialize<Dictionary<string, object>>(yaml);
        return (string)((Dictionary<object, object>)((Dictionary<object, object>)user["spec"])["importCredentialsSecret"])["name"];
    }
}
