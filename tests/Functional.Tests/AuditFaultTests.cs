using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.AuditTail;

namespace OAuthAspire.Functional.Tests;

/// <summary>Outages lose no audit event: the broker stopped mid-burst, the token service killed mid-burst.</summary>
[Collection(SystemCollection.Name)]
public sealed class AuditFaultTests(SystemFixture system, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(120);
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task EveryTokenIssuedWhileRabbitMqIsStoppedIsOnTheStreamAfterItStarts()
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        await using var reader = await AuditStreamReader.OpenAsync(rabbit, new StartAt.Next());
        var jtis = new ConcurrentBag<string>();
        var restarted = new System.Diagnostics.Stopwatch();

        try
        {
            await BurstAsync(clientId, secret, 150, jtis);
            var stopped = await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StopCommand);
            Assert.True(stopped.Success, stopped.Message);
            await notifications.WaitForResourceAsync("rabbitmq", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));

            // The token service needs no broker to issue: its events wait in its outbox.
            await BurstAsync(clientId, secret, 850, jtis);

            restarted = System.Diagnostics.Stopwatch.StartNew();
            var started = await commands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.StartCommand);
            Assert.True(started.Success, started.Message);
            await notifications.WaitForResourceHealthyAsync("rabbitmq", WaitBehavior.WaitOnResourceUnavailable).WaitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"RabbitMQ healthy {restarted.Elapsed.TotalSeconds:F1} s after its start command");
        }
        finally
        {
            await system.WaitForRabbitMqAsync();
        }

        Assert.Equal(1000, jtis.Distinct().Count());
        var missing = await MissingAsync(reader, jtis);
        Assert.True(missing.Count == 0, $"{jtis.Count} tokens issued, {missing.Count} TokenIssued event(s) missing: {string.Join(", ", missing.Take(5))}");
        output.WriteLine($"all 1000 TokenIssued events on the stream {restarted.Elapsed.TotalSeconds:F1} s after RabbitMQ's start command");
        await AssertChainsIntactAsync();

        // The audit log reconnected and resumed after its last stored position: each of them once.
        List<string> logged = [];
        await TestApi.EventuallyAsync(async () =>
        {
            logged = [.. (await _api.AuditEventsAsync($"client={clientId}&type=TokenIssued")).Select(e => e.GetProperty("data").GetProperty("jti").GetString()!)];
            return logged.Count >= 1000;
        }, TimeSpan.FromSeconds(60), "the 1000 TokenIssued events in the audit log");
        Assert.Equal(jtis.Order(StringComparer.Ordinal), logged.Order(StringComparer.Ordinal));
        output.WriteLine($"all 1000 in the audit log {restarted.Elapsed.TotalSeconds:F1} s after RabbitMQ's start command");

        // The edge hears change events again (its caches were dropped when it reconnected): a new
        // policy is enforced as usual.
        await _api.ProtectedTableAsync();
    }

    [Fact]
    public async Task EventsOfRequestsCommittedBeforeTheTokenServiceWasKilledArriveAfterItRestarts()
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        await using var reader = await AuditStreamReader.OpenAsync(rabbit, new StartAt.Next());
        var jtis = new ConcurrentBag<string>();
        var restarted = new System.Diagnostics.Stopwatch();

        try
        {
            using var stop = new CancellationTokenSource();
            var burst = BurstAsync(clientId, secret, 400, jtis, tolerateFailures: true, stop.Token);
            await TestApi.EventuallyAsync(() => Task.FromResult(jtis.Count >= 150), TimeSpan.FromSeconds(60), "150 tokens before the kill");
            var killed = Processes.KillTree(notifications, "token");
            Assert.True(killed > 0, "no token process found");
            await notifications.WaitForResourceAsync("token", KnownResourceStates.TerminalStates).WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await burst;

            restarted.Start();
            var started = await commands.ExecuteCommandAsync("token", KnownResourceCommands.StartCommand);
            Assert.True(started.Success, started.Message);
        }
        finally
        {
            await notifications.WaitForResourceHealthyAsync("token").WaitAsync(TimeSpan.FromSeconds(120));
        }

        Assert.InRange(jtis.Count, 150, 400);
        var missing = await MissingAsync(reader, jtis);
        Assert.True(missing.Count == 0, $"{jtis.Count} tokens issued, {missing.Count} TokenIssued event(s) missing: {string.Join(", ", missing.Take(5))}");
        output.WriteLine($"{jtis.Count} tokens answered before the kill; all their events on the stream {restarted.Elapsed.TotalSeconds:F1} s after the restart command");
        await AssertChainsIntactAsync();
    }

    /// <summary>The token service's chains verify whole, MACs and signed checkpoints included, across the outage.</summary>
    private async Task AssertChainsIntactAsync()
    {
        var report = await AuditTamperTests.VerifyServiceAsync(system, "token");
        output.WriteLine(report);
        Assert.Matches(@"^token: \d+ event\(s\), \d+ chain\(s\), intact", report);
        Assert.DoesNotContain("BROKEN", report);
        Assert.DoesNotContain("not checked", report);
        Assert.DoesNotContain("unchecked", report);
        Assert.Matches(@"[1-9]\d* signed checkpoint\(s\)", report);
    }

    /// <summary>
    /// Client-credentials requests, eight at a time, from an address of their own (so the burst does
    /// not spend other tests' per-address rate limit); collects the jti of every token that came back.
    /// </summary>
    private async Task BurstAsync(string clientId, string secret, int count, ConcurrentBag<string> jtis, bool tolerateFailures = false,
        CancellationToken cancellationToken = default)
    {
        using var client = system.EdgeFrom("127.0.0.10");
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (_, ct) =>
                {
                    try
                    {
                        using var request = TestApi.ClientCredentialsRequest(clientId, secret);
                        using var response = await client.SendAsync(request, ct);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
                            jtis.Add(new JsonWebToken(body.GetProperty("access_token").GetString()).Id);
                        }
                        else
                        {
                            Assert.True(tolerateFailures, $"token request failed: {(int)response.StatusCode}");
                        }
                    }
                    catch (HttpRequestException) when (tolerateFailures)
                    {
                    }
                });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The jtis with no TokenIssued event on the stream after the arrival bound.</summary>
    private static async Task<List<string>> MissingAsync(AuditStreamReader reader, ConcurrentBag<string> jtis)
    {
        var expected = jtis.ToHashSet(StringComparer.Ordinal);
        HashSet<string> Seen(IEnumerable<StreamEntry> entries) => entries
            .Where(e => e.Event.GetProperty("type").GetString() == "TokenIssued")
            .Select(e => e.Event.GetProperty("jti").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        await reader.ReadUntilAsync(entries => expected.IsSubsetOf(Seen(entries)), Arrival);
        var seen = Seen(reader.Entries);
        return [.. expected.Where(j => !seen.Contains(j))];
    }
}
