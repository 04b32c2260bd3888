using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.Protocol.Resources;

/// <summary>The APIs tokens can be issued for, by resource identifier (RFC 8707), compared as exact strings.</summary>
public sealed class ApiResources
{
    private readonly Dictionary<string, ApiPolicy> _byResource;

    /// <summary>Two policies claiming one identifier (possible only after the issuer changed): the first keeps it, never a failure of every request.</summary>
    public ApiResources(IEnumerable<ApiPolicy> policies)
    {
        _byResource = new Dictionary<string, ApiPolicy>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            if (policy.Resource is { } resource)
            {
                _byResource.TryAdd(resource, policy);
            }
        }
    }

    public static ApiResources Empty { get; } = new([]);

    public ApiPolicy? Find(string resource) => _byResource.GetValueOrDefault(resource);

    public IEnumerable<string> Identifiers => _byResource.Keys;
}
