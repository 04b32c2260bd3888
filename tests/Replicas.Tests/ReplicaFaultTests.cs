using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OAuthAspire.AuditTail;
using OAuthAspire.Testing;
using Xunit.Abstractions;

namespace OAuthAspire.Replicas.Tests;

/// <summary>A replica dying mid-request: idempotent calls do not notice, writes are whole or absent.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaFaultTests(ReplicaSystem system, ITestOutputHelper output)
{
    private readonly TestApi _api = new(system);

    [Fact]
    public async Task AKilledTokenReplicaCostsIdempotentCallersNothingAndLeavesNothingHalfWritten()
    {
        var (clientId, secret) = await _api.CreateClientAsync(["useraccount"]);
        await using var reader = await AuditStreamReader.OpenAsync((await system.App.GetConnectionStringAsync("rabbitmq"))!, new StartAt.Next());
        var victim = (await system.ReplicasAsync("token"))[0];
        var reads = new ConcurrentBag<HttpStatusCode>();
        var writes = new ConcurrentBag<(HttpStatusCode Status, string Body)>();

        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(
            Enumerable.Range(0, 3).Select(_ => LoopAsync(stop.Token, async client =>
            {
                using var response = await client.GetAsync("/oauth/jwks");
                reads.Add(response.StatusCode);
            })).Concat(Enumerable.Range(0, 2).Select(_ => LoopAsync(stop.Token, async client =>
            {
                using var request = TestApi.ClientCredentialsRequest(clientId, secret);
                using var response = await client.SendAsync(request);
                writes.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
            }))));

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(Processes.KillTree(victim.Pid) > 0);
        var readsAtKill = reads.Count;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await load;

        try
        {
            // Reads went on through the other replica, every one of them answered.
            Assert.True(reads.Count > readsAtKill + 10, $"only {reads.Count - readsAtKill} reads after the kill");
            Assert.All(reads, status => Assert.Equal(HttpStatusCode.OK, status));

            // A write the dying replica was serving fails cleanly; none is half-done: every token
            // that was answered has its audit event, written in the same transaction.
            Assert.All(writes, w =>
            {
                Assert.True(w.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)w.Status}: {w.Body}");
                if (w.Status == HttpStatusCode.ServiceUnavailable)
                {
                    Assert.Equal("temporarily_unavailable", JsonDocument.Parse(w.Body).RootElement.GetProperty("error").GetString());
                }
            });
            var jtis = writes.Where(w => w.Status == HttpStatusCode.OK)
                .Select(w => new JsonWebToken(JsonDocument.Parse(w.Body).RootElement.GetProperty("access_token").GetString()).Id)
                .ToHashSet(StringComparer.Ordinal);
            HashSet<string> Seen(IEnumerable<StreamEntry> entries) => entries
                .Where(e => e.Event.GetProperty("type").GetString() == "TokenIssued")
                .Select(e => e.Event.GetProperty("jti").GetString()!).ToHashSet(StringComparer.Ordinal);
            await reader.ReadUntilAsync(entries => jtis.IsSubsetOf(Seen(entries)), TimeSpan.FromSeconds(30));
            Assert.Empty(jtis.Except(Seen(reader.Entries)));
            output.WriteLine($"{reads.Count} reads all 200 ({reads.Count - readsAtKill} after the kill); " +
                $"{writes.Count} writes: {jtis.Count} tokens, all audited, {writes.Count(w => w.Status != HttpStatusCode.OK)} clean 503");
        }
        finally
        {
            await RestartAsync(victim);
        }
    }

    private async Task LoopAsync(CancellationToken stop, Func<HttpClient, Task> call)
    {
        // A client of its own: its own connections, spread by Aspire's proxy over the edge replicas.
        using var client = new HttpClient { BaseAddress = system.EdgeUrl, Timeout = TimeSpan.FromSeconds(30) };
        while (!stop.IsCancellationRequested)
        {
            await call(client);
        }
    }

    private async Task RestartAsync(Replica replica)
    {
        var commands = system.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = system.App.Services.GetRequiredService<ResourceNotificationService>();
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // Replicas share the resource's name: follow this one by its id.
            await foreach (var e in notifications.WatchAsync(bound.Token))
            {
                if (e.ResourceId == replica.Id && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text))
                {
                    break;
                }
            }
        }

        var started = await commands.ExecuteCommandAsync(replica.Id, KnownResourceCommands.StartCommand);
        Assert.True(started.Success, started.Message);
        await system.WaitForEveryReplicaAsync(TimeSpan.FromMinutes(2));
    }
}
