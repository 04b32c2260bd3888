using System.Diagnostics;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The README's worked example for SIEM engineers: a plain AMQP 0-9-1 client in another language
/// (Node.js, amqplib; samples/audit-consumer) reads the stream as the read-only auditor, understands
/// every event as a CloudEvent without any .NET knowledge, and checks the hash chain links itself.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditConsumerSampleTests(SystemFixture system)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task ANodeConsumerReadsCloudEventsAndFindsEveryChainLinkIntact()
    {
        // Something of several services on the stream: a client (client-registry), its token (token), a refusal.
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        for (var i = 0; i < 5; i++)
        {
            Assert.False((await _api.ClientCredentialsAsync(clientId, secret)).IsError);
        }

        Assert.Equal("invalid_client", TestApi.OAuthError(await _api.ClientCredentialsAsync(clientId, "wrong-secret-0123456789")));
        var broker = new Uri((await system.App.GetConnectionStringAsync("rabbitmq"))!);
        var auditor = new UriBuilder(broker) { UserName = "auditor", Password = await system.ParameterAsync("rabbitmq-auditor-password") }.Uri;

        JsonElement summary = default;
        await TestApi.EventuallyAsync(async () =>
        {
            var (lines, last) = await ConsumeAsync(auditor.ToString());
            summary = last;
            return lines.Any(l => l.Contains("com.oauthaspire.audit.TokenRequestRefused.v1", StringComparison.Ordinal) && l.Contains($"client/{clientId}", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(30), "our refusal read by the Node consumer");

        Assert.True(summary.GetProperty("read").GetInt32() > 0);
        Assert.True(summary.GetProperty("linked").GetInt32() >= 5, summary.GetRawText());
        // Other tests break chains of their own writers on purpose (AuditTamperTests); the services' own links all hold.
        Assert.DoesNotContain(summary.GetProperty("brokenSources").EnumerateArray().Select(s => s.GetString()),
            s => ServiceDefaults.ServiceNames.All.Any(n => s == "/oauthaspire/" + n));
        var sources = summary.GetProperty("sources").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("/oauthaspire/token", sources);
        Assert.Contains("/oauthaspire/client-registry", sources);
        Assert.Contains("com.oauthaspire.audit.TokenIssued.v1", summary.GetProperty("types").EnumerateArray().Select(s => s.GetString()));
    }

    private static async Task<(string[] Lines, JsonElement Summary)> ConsumeAsync(string broker)
    {
        var directory = Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", "samples", "audit-consumer"));
        Assert.True(Directory.Exists(Path.Combine(directory, "node_modules")), $"amqplib is missing ({directory}): run scripts/prereqs --tests.");
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "consume.mjs", broker, "--from", "first", "--idle", "2" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, $"node consume.mjs failed: {await errors}");
        var lines = (await output).Trim().Split('\n');
        return (lines, JsonDocument.Parse(lines[^1]).RootElement.Clone());
    }
}
