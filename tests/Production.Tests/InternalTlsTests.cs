using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using OAuthAspire.Testing;

namespace OAuthAspire.Production.Tests;

/// <summary>
/// With an HTTPS issuer the hops behind the edge are TLS too: each service's gRPC endpoint and the
/// endpoint the edge forwards to present a certificate of the AppHost's internal authority, and the
/// plain-text listener left for health checks serves nothing else.
/// </summary>
[Collection(ProductionCollection.Name)]
public sealed class InternalTlsTests(ProductionSystem system)
{
    private static readonly string[] Callees = ["authorize", "token", "client-registry", "federation-trust", "scope-policy", "directory"];

    [Fact]
    public async Task EveryServiceServesTlsUnderTheInternalAuthorityAndPlainTextOnlyForHealth()
    {
        // The authority the callers trust: what the AppHost gave the edge.
        var authority = X509Certificate2.CreateFromPem((await system.ProcessEnvironmentAsync("edge"))["InternalTls__Authority"]);
        foreach (var service in Callees)
        {
            foreach (var endpoint in new[] { "grpc", "https" })
            {
                var url = system.App.GetEndpoint(service, endpoint);
                Assert.Equal("https", url.Scheme);
                var presented = await CertificateAtAsync(url);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                Assert.True(chain.Build(presented), $"{service} {endpoint}: {string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation))}");
                Assert.Contains($"CN={service}", presented.Subject, StringComparison.Ordinal);
            }

            // Every listener on loopback only.
            Assert.StartsWith("https://localhost:", (await system.ProcessEnvironmentAsync(service))["Kestrel__Endpoints__https__Url"], StringComparison.Ordinal);

            // The plain listener: health yes, anything else no, not even with the edge's proof.
            using var plain = new HttpClient { BaseAddress = system.App.GetEndpoint(service, "http") };
            Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/health")).StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
            request.Headers.Add(InternalCalls.EdgeHeader, InternalCalls.Mint(await system.ParameterAsync("service-key-edge"), "edge", service));
            Assert.Equal(HttpStatusCode.NotFound, (await plain.SendAsync(request)).StatusCode);
        }

        // A plain-text gRPC call, with a token that opens the call over TLS, is not served.
        var plainGrpc = new UriBuilder(system.App.GetEndpoint("token", "grpc")) { Scheme = "http" }.Uri;
        using (var channel = GrpcChannel.ForAddress(plainGrpc))
        {
            Assert.NotEqual(StatusCode.OK, await InternalCalls.CallAsync(channel, "oauthaspire.tokenissuer.v1.TokenIssuer", "ListRevocations",
                InternalCalls.Mint(await system.ParameterAsync("service-key-edge"), "edge", "token")));
        }

        // And through the TLS hops the system works: a token from the issuer, over every internal hop.
        var api = new TestApi(system);
        var (clientId, secret) = await api.CreateClientAsync(["useraccount"]);
        Assert.False(string.IsNullOrEmpty((await api.ClientCredentialsAsync(clientId, secret)).AccessToken));
    }

    private static async Task<X509Certificate2> CertificateAtAsync(Uri url)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        });
        return presented ?? throw new InvalidOperationException($"{url} presented no certificate");
    }
}
