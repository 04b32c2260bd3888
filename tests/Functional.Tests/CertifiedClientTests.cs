using System.Diagnostics;
using System.Text.Json;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The running system driven by certified client libraries from outside (Node.js, installed by
/// <c>scripts/prereqs --tests</c> in <c>clients/</c>), as integrators' own code will drive it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class CertifiedClientTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    private static async Task<JsonElement> NodeAsync(string script, params string[] arguments)
    {
        var directory = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", "tests", "Functional.Tests", "clients"));
        Assert.True(Directory.Exists(Path.Combine(directory, "node_modules")), $"The client libraries are missing ({directory}): run scripts/prereqs --tests.");
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node {script} failed: {await errors} {await output}");
        return JsonDocument.Parse((await output).Trim().Split('\n')[^1]).RootElement.Clone();
    }

    [Fact]
    public async Task OpenidClientGetsADpopBoundTokenCallsTheApiWithItAndAnotherKeyIsRefused()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);

        var result = await NodeAsync("dpop.mjs", system.Issuer, clientId, secret, "/api/now/identity");

        Assert.Equal("dpop", result.GetProperty("tokenType").GetString(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(clientId, result.GetProperty("clientId").GetString());
        Assert.Equal("dpop", result.GetProperty("binding").GetString());
        var stolen = result.GetProperty("stolen");
        Assert.Equal(401, stolen.ValueKind == JsonValueKind.Number ? stolen.GetInt32() : stolen.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task OpenidClientAuthenticatesWithTlsClientAuthOnTheMtlsAliasAndItsBoundTokenFailsUnderAnotherCertificate()
    {
        var subject = $"CN=openid-client-{Guid.NewGuid():N}, O=Example";
        var response = await _api.SendAsync(HttpMethod.Post, "/api/admin/clients", new
        {
            name = "openid-client over mutual TLS",
            grantTypes = new[] { "client_credentials" },
            scopes = new[] { "useraccount" },
            tlsClientAuthSubjectDn = subject,
            tlsClientCertificateBoundAccessTokens = true,
        });
        var registration = await _api.ReadAsync(response);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, registration.GetRawText());
        var clientId = registration.GetProperty("clientId").GetString()!;
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mtls-client-{Guid.NewGuid():N}")).FullName;
        var (certificate, key) = TestClientCertificates.WritePem(TestClientCertificates.Issued(subject), directory, "owner");
        var (otherCertificate, otherKey) = TestClientCertificates.WritePem(TestClientCertificates.Issued(subject), directory, "thief");

        var result = await NodeAsync("mtls.mjs", system.Issuer, clientId, certificate, key, otherCertificate, otherKey,
            Path.Combine(system.DataDirectory, "edge-mtls", "authority.crt"), "/api/now/identity");

        Assert.Equal("bearer", result.GetProperty("tokenType").GetString(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(clientId, result.GetProperty("clientId").GetString());
        Assert.Equal("mtls", result.GetProperty("binding").GetString());
        // The thief's certificate is even from the same trusted authority with the same subject: still not the token's.
        var stolen = result.GetProperty("stolen");
        Assert.Equal(401, stolen.ValueKind == JsonValueKind.Number ? stolen.GetInt32() : stolen.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task OpenidClientPushesItsAuthorizationRequestAndTheUserSignsInFromTheRequestUri()
    {
        const string redirectUri = "https://app.example.test/callback";
        var (clientId, secret) = await _api.CreateWebClientAsync([redirectUri], ["openid", "useraccount"]);
        var (userName, _, password) = await _api.CreateSignInUserAsync();

        var result = await NodeAsync("par.mjs", system.Issuer, clientId, secret!, redirectUri);

        // The URL the library built carries the client and the request_uri, nothing of the request itself.
        Assert.Equal(["client_id", "request_uri"], result.GetProperty("query").EnumerateArray().Select(p => p.GetString()).Order());
        using var browser = new FormBrowser(system.EdgeUrl, system.EdgeCertificateValidation);
        await browser.GetAsync(result.GetProperty("url").GetString()!);
        await browser.SignInAsync(userName, password);
        var answer = browser.Html.Contains("wants to access", StringComparison.Ordinal) ? await browser.ConsentAsync(true) : browser.Last!;
        var redirect = FormBrowser.RedirectParameters(answer, out _);
        Assert.Equal("par-state", redirect["state"]);
        var tokens = await _api.RedeemCodeAsync(clientId, secret, redirect["code"], result.GetProperty("codeVerifier").GetString()!, redirectUri);
        Assert.False(tokens.IsError, tokens.Error);
        Assert.Equal("openid useraccount", tokens.Scope);
    }
}
