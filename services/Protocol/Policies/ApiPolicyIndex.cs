namespace OAuthAspire.Protocol.Policies;

/// <summary>
/// The policies by base path, so finding a call's API costs one look-up per segment of its path
/// (longest base path first) rather than a scan of every policy.
/// Finds what <see cref="ApiPolicies.Find"/> finds.
/// </summary>
public sealed class ApiPolicyIndex
{
    private readonly Dictionary<string, ApiPolicy> _byBasePath = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ApiPolicy>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ApiPolicyIndex(IEnumerable<ApiPolicy> policies)
    {
        foreach (var policy in policies)
        {
            // Base paths are unique; should two differ only by case, the first (as a scan would) is kept.
            _byBasePath.TryAdd(policy.BasePath, policy);
        }

        _lookup = _byBasePath.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The API a call is to: the policy with the longest base path at or above the canonical path; null when none is.</summary>
    public ApiPolicy? Find(string path)
    {
        var candidate = path.AsSpan();
        while (candidate.Length > 0)
        {
            if (_lookup.TryGetValue(candidate, out var policy))
            {
                return policy;
            }

            var slash = candidate.LastIndexOf('/');
            if (slash <= 0)
            {
                return null;
            }

            candidate = candidate[..slash];
        }

        return null;
    }
}
