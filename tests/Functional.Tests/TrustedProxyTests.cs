using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The caller's address (what limits and audit events key on) comes from X-Forwarded-For only
/// through the proxies the edge is told to trust (the fixture trusts 127.0.0.50), right-most first.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TrustedProxyTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private async Task<string> TokenFromAsync(string localAddress, string forwardedFor, string clientId, string secret)
    {
        using var client = system.EdgeFrom(localAddress);
        using var request = TestApi.ClientCredentialsRequest(clientId, secret);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new JsonWebToken((await _api.ReadAsync(response)).GetProperty("access_token").GetString()).Id;
    }

    [Fact]
    public async Task ForwardedForIsBelievedOnlyFromATrustedProxyAndOnlyUpToTheFirstUntrustedHop()
    {
        await using var queue = await AuditQueue.BindAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);

        // Through the trusted proxy: the right-most address it did not add itself is the caller;
        // what the caller wrote to the left of it is not believed.
        var proxied = await TokenFromAsync("127.0.0.50", "203.0.113.7, 198.51.100.9", clientId, secret);
        // Straight from a caller: its header counts for nothing.
        var direct = await TokenFromAsync("127.0.0.51", "198.51.100.10", clientId, secret);

        var events = await queue.ReadUntilAsync(e => e.GetProperty("type").GetString() == "TokenIssued" && e.GetProperty("jti").GetString() == direct,
            TimeSpan.FromSeconds(15));
        string AddressOf(string jti) => events.Single(e => e.GetProperty("type").GetString() == "TokenIssued" && e.GetProperty("jti").GetString() == jti)
            .GetProperty("remoteAddress").GetString()!;
        Assert.Equal("198.51.100.9", AddressOf(proxied));
        Assert.Equal("127.0.0.51", AddressOf(direct));
    }
}
