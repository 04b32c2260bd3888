using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// Where a fetch of another party's document may connect. Those URLs come from administrators and
/// from remote documents (a provider's jwks_uri), so unchecked they would let anyone who can set
/// one probe our own network: loopback, private, shared (CGNAT), link-local (cloud metadata at
/// 169.254.169.254), unique-local, multicast and reserved addresses are refused, also in the IPv6
/// forms that embed one (IPv4-mapped, IPv4-compatible, NAT64, 6to4). Networks listed in
/// <c>RemoteFetch:AllowedNetworks</c> (CIDR; a list or one comma-separated string; for development
/// and tests) are let through. The check runs in the connection itself, on the very addresses
/// connected to, so a name that resolves elsewhere the second time (DNS rebinding) gains nothing.
/// </summary>
public sealed class RemoteAddressPolicy(IReadOnlyList<IPNetwork> allowed)
{
    public const string AllowedNetworksKey = "RemoteFetch:AllowedNetworks";


    // First match names the range; the specific ::/128 and ::1/128 come before ::/96.
    private static readonly (IPNetwork Network, string Name)[] Forbidden =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "this-network"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (CGNAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local (cloud metadata)"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignments"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved or broadcast"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("::/96"), "IPv4-compatible"),
        (IPNetwork.Parse("::ffff:0:0:0/96"), "IPv4-translated"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64"),
        (IPNetwork.Parse("100::/64"), "discard-only"),
        (IPNetwork.Parse("2001::/32"), "Teredo"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("fc00::/7"), "unique-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>The allow-list from configuration; a malformed entry stops the service (a silent typo would refuse every fetch).</summary>
    public static RemoteAddressPolicy FromConfiguration(IConfiguration configuration)
    {
        return new RemoteAddressPolicy(NetworkList.FromConfiguration(configuration, AllowedNetworksKey));
    }

    /// <summary>The forbidden range an address is in, e.g. "link-local (cloud metadata) 169.254.0.0/16"; null for a public address.</summary>
    public static string? ForbiddenRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (Embedded(address) is { } inner && ForbiddenRange(inner) is { } range)
        {
            return $"{range}, embedded in {(Nat64.Contains(address) ? Nat64 : SixToFour)}";
        }

        foreach (var (network, name) in Forbidden)
        {
            if (network.Contains(address))
            {
                return $"{name} {network}";
            }
        }

        return null;
    }

    /// <summary>Null when a connection to this address may be made, else why not.</summary>
    public string? Refusal(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (allowed.Any(n => n.Contains(plain)))
        {
            return null;
        }

        return ForbiddenRange(plain) is { } range ? $"{address} is in {range}, not allowed by {AllowedNetworksKey}" : null;
    }

    /// <summary>
    /// A handler that connects only where this policy allows: no redirects, no proxy (an environment
    /// proxy would connect on our behalf, past the check), no cookies.
    /// </summary>
    /// <summary>
    /// The client every fetch of a document another party publishes goes through: this policy's handler (no redirects,
    /// no proxy, addresses checked on connect) and <c>RemoteFetch:Timeout</c> (5 s). A client of its own, never the
    /// factory's: its defaults (service discovery, retries) have no business with addresses others choose.
    /// </summary>
    public static HttpClient CreateClient(IConfiguration configuration, System.Net.Security.RemoteCertificateValidationCallback? certificateCheck = null)
    {
        var handler = FromConfiguration(configuration).CreateHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = certificateCheck;
        return new HttpClient(handler) { Timeout = configuration.GetValue(RemoteKeySets.TimeoutKey, TimeSpan.FromSeconds(5)) };
    }

    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = ConnectAsync,
    };

    /// <summary>
    /// Resolves the host itself, refuses the whole name if any of its addresses is forbidden (one
    /// that also points inward could be chosen on a later connection), then connects to exactly
    /// the addresses checked. Nothing is sent before the check.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, $"{host} has no address");
        }

        foreach (var address in addresses)
        {
            if (Refusal(address) is { } refusal)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, refusal);
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The IPv4 address a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address carries.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var bytes = address.GetAddressBytes();
        return Nat64.Contains(address) ? new IPAddress(bytes.AsSpan(12, 4))
            : SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4))
            : null;
    }
}
