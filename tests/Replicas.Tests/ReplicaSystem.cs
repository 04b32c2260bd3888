using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using OAuthAspire.Testing;

namespace OAuthAspire.Replicas.Tests;

/// <summary>One running replica: its process and its own HTTP address (behind Aspire's proxy, which balances between replicas).</summary>
public sealed record Replica(string Service, string Id, int Pid, Uri Http);

/// <summary>The whole system with two replicas of every service, started once for this assembly.</summary>
public sealed class ReplicaSystem : SystemFixture
{
    public const int Count = 2;

    // Device polls 5 s apart: two polls on two replicas in a row are surely too soon, however loaded the machine.
    protected override string[] ExtraArguments => [$"--Services:Replicas={Count}", "--Services:token:Environment:Device__Interval=5"];

    /// <summary>Starts the system, then waits until every replica (not just one per service) answers its health check.</summary>
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await WaitForEveryReplicaAsync(StartTimeout);
    }

    public async Task WaitForEveryReplicaAsync(TimeSpan bound)
    {
        using var health = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var service in InternalCalls.Services)
        {
            while (true)
            {
                try
                {
                    var replicas = await ReplicasAsync(service);
                    var answers = await Task.WhenAll(replicas.Select(r => health.GetAsync(new Uri(r.Http, "/health"))));
                    if (answers.All(a => a.IsSuccessStatusCode))
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException or InvalidOperationException or IOException)
                {
                }

                if (clock.Elapsed > bound)
                {
                    throw new TimeoutException($"not every replica of {service} became healthy within {bound}");
                }

                await Task.Delay(250);
            }
        }
    }

    /// <summary>The running replicas of a service, each with the address its own Kestrel listens on.</summary>
    public async Task<IReadOnlyList<Replica>> ReplicasAsync(string service)
    {
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        var latest = new Dictionary<string, ResourceEvent>();
        using var replay = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            // The watch first replays every resource's current state.
            await foreach (var e in notifications.WatchAsync(replay.Token))
            {
                latest[e.ResourceId] = e;
            }
        }
        catch (OperationCanceledException)
        {
        }

        var replicas = new List<Replica>();
        foreach (var (id, e) in latest.Where(x => x.Value.Resource.Name == service && x.Value.Snapshot.State?.Text == KnownResourceStates.Running))
        {
            var pid = int.Parse(e.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value!.ToString()!);
            // Aspire hands each replica its own port through Kestrel's configuration.
            var http = File.ReadAllText($"/proc/{pid}/environ").Split('\0')
                .Single(v => v.StartsWith("Kestrel__Endpoints__http__Url=", StringComparison.Ordinal)).Split('=', 2)[1];
            replicas.Add(new Replica(service, id, pid, new Uri(http)));
        }

        Assert.Equal(Count, replicas.Count);
        return replicas.OrderBy(r => r.Id, StringComparer.Ordinal).ToArray();
    }

    /// <summary>A client of one replica of a service behind the edge, sending what the edge sends.</summary>
    public async Task<HttpClient> BehindEdgeAsync(Replica replica)
    {
        var client = new HttpClient(new EdgeProof(await ParameterAsync("service-key-edge"), replica.Service) { InnerHandler = new HttpClientHandler() })
        {
            BaseAddress = replica.Http,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "127.0.0.1");
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "http");
        return client;
    }

    /// <summary>Each request carries a fresh service token of the edge's, for this service, as the edge's own requests do.</summary>
    private sealed class EdgeProof(string edgeKey, string service) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add(InternalCalls.EdgeHeader, InternalCalls.Mint(edgeKey, "edge", service));
            return base.SendAsync(request, cancellationToken);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaSystem>
{
    public const string Name = "replicas";
}
