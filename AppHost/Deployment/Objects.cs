using k8s.Models;

namespace OAuthAspire.AppHost.Deployment;

/// <summary>Short forms of the API objects written most often (the client's models have only initialisers).</summary>
public static class Objects
{
    public static V1EnvVar Env(string name, string value) => new() { Name = name, Value = value };

    public static V1EnvVar FromSecret(string name, string secret, string key, bool optional = false) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = key, Optional = optional ? true : null } },
    };

    public static V1EnvVar FromConfigMap(string name, string configMap, string key, bool optional = false) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = configMap, Key = key, Optional = optional ? true : null } },
    };

    public static V1VolumeMount Mount(string path, string volume, bool readOnly = false) => new() { MountPath = path, Name = volume, ReadOnlyProperty = readOnly ? true : null };
}
