using System.Net;
using Microsoft.Extensions.Configuration;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.ServiceDefaults.Tests;

/// <summary>Which addresses a remote fetch may connect to: the classification alone (nothing connects here).</summary>
public class RemoteAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("0.0.0.0", "this-network")]
    [InlineData("::", "unspecified")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.64.0.1", "CGNAT")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("fd00::1", "unique-local")]
    [InlineData("fd00:ec2::254", "unique-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::127.0.0.1", "IPv4-compatible")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")] // NAT64 form of 169.254.169.254
    [InlineData("2002:a00:1::1", "private")] // 6to4 form of 10.0.0.1
    public void InternalAddressesAreForbiddenInEveryForm(string address, string range) =>
        Assert.Contains(range, RemoteAddressPolicy.ForbiddenRange(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")] // just past 172.16.0.0/12
    [InlineData("100.128.0.1")] // just past 100.64.0.0/10
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")] // NAT64 form of 8.8.8.8
    public void PublicAddressesAreAllowed(string address)
    {
        Assert.Null(RemoteAddressPolicy.ForbiddenRange(IPAddress.Parse(address)));
        Assert.Null(Policy(null).Refusal(IPAddress.Parse(address)));
    }

    [Fact]
    public void TheAllowListLetsItsNetworksThroughAndNothingElse()
    {
        var policy = Policy("127.0.0.0/8, ::1/128;10.1.2.3");

        Assert.Null(policy.Refusal(IPAddress.Parse("127.0.0.2")));
        Assert.Null(policy.Refusal(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Null(policy.Refusal(IPAddress.Parse("::1")));
        Assert.Null(policy.Refusal(IPAddress.Parse("10.1.2.3")));
        Assert.Contains("not allowed by RemoteFetch:AllowedNetworks", policy.Refusal(IPAddress.Parse("10.1.2.4")));
        Assert.Contains("link-local", policy.Refusal(IPAddress.Parse("169.254.169.254")));
        Assert.Contains("unique-local", policy.Refusal(IPAddress.Parse("fd00::1")));
    }

    [Fact]
    public void TheAllowListMayBeAConfigurationList()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["RemoteFetch:AllowedNetworks:0"] = "192.168.0.0/16", ["RemoteFetch:AllowedNetworks:1"] = "fd00::/8" })
            .Build();
        var policy = RemoteAddressPolicy.FromConfiguration(configuration);

        Assert.Null(policy.Refusal(IPAddress.Parse("192.168.7.7")));
        Assert.Null(policy.Refusal(IPAddress.Parse("fd00::1")));
        Assert.NotNull(policy.Refusal(IPAddress.Parse("10.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("not-a-network")]
    public void AMalformedAllowListEntryStopsTheService(string entry) =>
        Assert.Throws<InvalidOperationException>(() => Policy(entry));

    private static RemoteAddressPolicy Policy(string? allowed) =>
        RemoteAddressPolicy.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [RemoteAddressPolicy.AllowedNetworksKey] = allowed })
            .Build());
}
