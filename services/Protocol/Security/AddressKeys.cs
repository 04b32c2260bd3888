using System.Net;
using System.Net.Sockets;

namespace OAuthAspire.Protocol.Security;

/// <summary>What a per-address limit counts under: an IPv4 address, or an IPv6 address's /64 (one host is handed a whole /64).</summary>
public static class AddressKeys
{
    // IPv4 (the common case, on hot paths) is returned as it is, unparsed.
    public static string Of(string address) =>
        !address.Contains(':') || !IPAddress.TryParse(address, out var ip) ? address
        : ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString()
        : ip.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress([.. ip.GetAddressBytes()[..8], 0, 0, 0, 0, 0, 0, 0, 0]) + "/64"
        : address;
}
