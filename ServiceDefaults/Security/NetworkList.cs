using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// A list of networks from configuration: CIDR blocks or single addresses, as a list or one string
/// separated by commas, semicolons or spaces. A malformed entry stops the service: a silent typo
/// would widen or empty the list.
/// </summary>
public static class NetworkList
{
    private static readonly char[] Separators = [',', ';', ' '];

    public static IReadOnlyList<IPNetwork> FromConfiguration(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var entries = section.Value is { } list
            ? list.Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0).ToArray();
        return entries.Select(entry => Parse(entry, key)).ToArray();
    }

    private static IPNetwork Parse(string entry, string key) =>
        // IPNetwork.TryParse quietly masks host bits ("10.0.0.1/8" becomes 10.0.0.0/8): a typo must not widen the list.
        IPNetwork.TryParse(entry, out var network) && entry.StartsWith(network.BaseAddress + "/", StringComparison.OrdinalIgnoreCase) ? network
        : IPAddress.TryParse(entry, out var address) ? new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
        : throw new InvalidOperationException($"{key}: '{entry}' is not a CIDR network (host bits must be zero) or an address");
}
