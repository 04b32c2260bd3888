using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace OAuthAspire.Testing;

/// <summary>
/// The whole system, started once per test assembly (or benchmark run): real PostgreSQL and
/// RabbitMQ processes with a fresh data folder, the seven services, free ports everywhere.
/// </summary>
public class SystemFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Where the services may fetch keys and metadata from in the tests: loopback only.</summary>
    public const string TestAllowedNetworks = "127.0.0.0/8,::1/128";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"oauthaspire-test-{Guid.NewGuid():N}"[..32]);

    /// <summary>The AppHost's data folder of this run (databases, broker, the certificates it makes).</summary>
    public string DataDirectory => _dataDirectory;

    private ResourceLogs? _logs;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>AppHost settings a derived fixture adds (replicas, say).</summary>
    protected virtual string[] ExtraArguments => [];

    /// <summary>The edge's endpoint that is the issuer ("https" for a fixture serving HTTPS).</summary>
    protected virtual string EdgeEndpoint => "http";

    /// <summary>How clients of the edge check its certificate (a fixture with a test certificate trusts it).</summary>
    public virtual System.Net.Security.RemoteCertificateValidationCallback? EdgeCertificateValidation => null;

    /// <summary>Environment variables a derived fixture gives every service.</summary>
    protected virtual IReadOnlyDictionary<string, string> ExtraEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>Every resource's console and structured logs, one file each, kept after the run.</summary>
    public static string LogDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "resource-logs");

    public ResourceLogs Logs => _logs!;

    /// <summary>Everything the services exported over OTLP (traces and logs).</summary>
    public TelemetrySink Telemetry { get; private set; } = null!;

    /// <summary>The edge's actual URL: the issuer of this run.</summary>
    public Uri EdgeUrl { get; private set; } = null!;

    public string Issuer => EdgeUrl.GetLeftPart(UriPartial.Authority);

    public HttpClient Edge { get; private set; } = null!;

    /// <summary>A second key for the edge, trusted by every service beside its current one (a rotation under way).</summary>
    public static readonly string NextEdgeKey = InternalCalls.NewKey();

    public virtual async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            $"--Infrastructure:DataDirectory={_dataDirectory}",
            "--Infrastructure:PostgresPort=0",
            "--Infrastructure:RabbitMqPort=0",
            "--Edge:Port=0",
            // Short windows so the tests can cross them: a rotated refresh token reused after 1 s is theft.
            "--Services:token:Environment:Refresh__ReuseGrace=00:00:01",
            // Expired token records (used jtis among them) are purged every 2 s, so tests can replay after a purge.
            "--Services:token:Environment:Housekeeping__Interval=00:00:02",
            // A key set may be refetched (on an unknown kid) after 1 s instead of 10 s.
            "--Services:token:Environment:RemoteKeys__MinRefetch=00:00:01",
            // Device codes live 15 s and are polled every second, so tests can see them pend, slow down and expire.
            "--Services:token:Environment:Device__Lifetime=00:00:15",
            "--Services:token:Environment:Device__Interval=1",
            // Wrong user codes: 8 per address and an alert past 12 a minute, for tests to cross (DeviceFlowTests).
            "--Services:authorize:Environment:Device__GuessesPerAddress=8",
            "--Services:authorize:Environment:Device__GuessAlertPerMinute=12",
            "--Services:federation-trust:Environment:RemoteKeys__MinRefetch=00:00:01",
            // The tests' key servers and providers listen on loopback, which remote fetches refuse unless allowed.
            $"--Services:token:Environment:RemoteFetch__AllowedNetworks={TestAllowedNetworks}",
            $"--Services:federation-trust:Environment:RemoteFetch__AllowedNetworks={TestAllowedNetworks}",
            // Identical refusals are counted for 5 s before their total is written (RepeatedRefusals).
            "--Audit:RepeatWindow=00:00:05",
            // The APIs also have a host name of their own (SecurityHeaderTests); the issuer's host keeps serving them.
            "--Services:edge:Environment:Edge__ApiHost=apis.localhost",
            // The edge believes X-Forwarded-For from these addresses only (TrustedProxyTests).
            // 127.0.0.52 is trusted for X-Forwarded-For only, never for Client-Cert (MtlsTests).
            "--Services:edge:Environment:Edge__TrustedProxies=127.0.0.50,127.0.0.52",
            // The same address hands over client certificates in Client-Cert (MtlsTests).
            "--Services:edge:Environment:Edge__ClientCertProxies=127.0.0.50",
            // Rate limits low enough for tests to cross (and high enough for the bursts of other tests).
            "--RateLimits:TokenPerClient:Permits=1500",
            "--RateLimits:TokenPerAddress:Permits=3000",
            "--RateLimits:ApiPerClient:Permits=600",
            "--RateLimits:ApiPerAddress:Permits=3000",
            "--RateLimits:AuthorizePerAddress:Permits=2000",
            "--RateLimits:RegistrationPerAddress:Permits=300",
            // Anyone may register under the policy "self-service" (RegistrationTests creates it); tokens select their own.
            "--Registration:Mode=open",
            "--Registration:OpenPolicy=self-service",
            // Never-used self-registered clients are looked for every 2 s (RegistrationTests ages one).
            "--Services:client-registry:Environment:Registration__ExpiryInterval=00:00:02",
            // Client ID Metadata Documents, held to the policy "documents" (MetadataDocumentTests creates it), served on loopback.
            "--Registration:MetadataDocumentPolicy=documents",
            $"--Services:client-registry:Environment:RemoteFetch__AllowedNetworks={TestAllowedNetworks}",
            "--RateLimits:TokenAuthFailuresPerAddress:Permits=1000",
            // A rotation of the edge's key under way: its next key is trusted already (ServiceIdentityTests).
            $"--Parameters:service-key-edge-next={NextEdgeKey}",
            // The authority tls_client_auth certificates must chain to (MtlsTests).
            $"--Mtls:ClientAuthorities={TestClientCertificates.AuthorityFile}",
            "--Edge:MtlsPort=0",
            .. ExtraArguments,
        ], timeout.Token);
        Telemetry = await TelemetrySink.StartAsync();
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Tests run without the dashboard: every service exports to the test's own receiver
            // instead (an exporter aimed at an absent port would hold shutdown for its flush timeout).
            builder.CreateResourceBuilder(project).WithEnvironment(e =>
            {
                e.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = Telemetry.Endpoint.ToString().TrimEnd('/');
                e.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                e.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "500";
                e.EnvironmentVariables["OTEL_BLRP_SCHEDULE_DELAY"] = "500";
                e.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = "60000";
                foreach (var (name, value) in ExtraEnvironment)
                {
                    e.EnvironmentVariables[name] = value;
                }
            });
        }

        App = await builder.BuildAsync(timeout.Token);
        if (Directory.Exists(LogDirectory))
        {
            Directory.Delete(LogDirectory, recursive: true);
        }

        _logs = ResourceLogs.Capture(App, LogDirectory);
        await App.StartAsync(timeout.Token);
        await WaitForAllHealthyAsync(timeout.Token);

        EdgeUrl = App.GetEndpoint("edge", EdgeEndpoint);
        Edge = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = EdgeCertificateValidation } })
        {
            BaseAddress = EdgeUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Every infrastructure and service resource that starts with the system.</summary>
    public IEnumerable<IResource> Resources =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is ProjectResource or ExecutableResource or IResourceWithConnectionString)
            // Aspire's own helpers (project rebuilders) start only on demand.
            .Where(r => !r.Annotations.OfType<ExplicitStartupAnnotation>().Any());

    public async Task WaitForAllHealthyAsync(CancellationToken cancellationToken)
    {
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        await Task.WhenAll(Resources.Select(r => notifications.WaitForResourceHealthyAsync(r.Name, cancellationToken)));
    }

    /// <summary>
    /// After RabbitMQ restarted: waits until every service's bus is connected again (its /health says
    /// Healthy, not Degraded), so the next test does not meet caches still cut short for want of events.
    /// </summary>
    public async Task WaitForRabbitMqAsync()
    {
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        // A restart passes through states Aspire reads as "failed to start" before it is up: wait through them (bounded).
        await notifications.WaitForResourceHealthyAsync("rabbitmq", WaitBehavior.WaitOnResourceUnavailable).WaitAsync(TimeSpan.FromSeconds(90));
        foreach (var service in InternalCalls.Services)
        {
            using var client = new HttpClient { BaseAddress = App.GetEndpoint(service, "http") };
            await TestApi.EventuallyAsync(async () => await client.GetStringAsync("/health") == "Healthy", TimeSpan.FromSeconds(60),
                $"{service} reconnecting to RabbitMQ");
        }
    }

    /// <summary>The value of an AppHost parameter (generated secrets included).</summary>
    public async Task<string> ParameterAsync(string name)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return (await parameter.GetValueAsync(default))!;
    }

    /// <summary>
    /// A client of the edge's mutual-TLS listener presenting <paramref name="certificate"/> (or none),
    /// trusting only the local authority the AppHost made for that listener this run.
    /// </summary>
    public HttpClient MtlsClient(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        var authority = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(
            Path.Combine(_dataDirectory, "edge-mtls", "authority.crt"));
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificates = certificate is null ? null : [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                    chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(authority);
                    chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                    return server is not null && chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(server));
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = App.GetEndpoint("edge", "mtls"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A client of the edge whose connections come from another loopback address (its own rate-limit partition).</summary>
    public HttpClient EdgeFrom(string localAddress, bool followRedirects = true) =>
        new(HandlerFrom(localAddress, followRedirects)) { BaseAddress = EdgeUrl, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A handler whose connections (to loopback) come from another loopback address.</summary>
    public static SocketsHttpHandler HandlerFrom(string localAddress, bool followRedirects = true) => new()
    {
        AllowAutoRedirect = followRedirects,
        UseCookies = false,
        ConnectCallback = ConnectFrom(localAddress),
    };

    /// <summary>Connects to loopback from another loopback address.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(string localAddress)
    {
        var local = System.Net.IPAddress.Parse(localAddress);
        return async (context, ct) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                socket.Bind(new System.Net.IPEndPoint(local, 0));
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }

    /// <summary>The environment a running resource's process actually has (one replica's, if several).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ProcessEnvironmentAsync(string resource)
    {
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        var running = await notifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running
            && e.Snapshot.Properties.Any(p => p.Name == "executable.pid" && p.Value is not null));
        var pid = running.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value!.ToString();
        return (await File.ReadAllTextAsync($"/proc/{pid}/environ"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .ToDictionary(v => v[0], v => v.Length > 1 ? v[1] : "", StringComparer.Ordinal);
    }

    public async Task<NpgsqlDataSource> DatabaseAsync(string connectionName) =>
        NpgsqlDataSource.Create((await App.GetConnectionStringAsync(connectionName))!);

    public virtual async Task DisposeAsync()
    {
        Edge?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        if (_logs is not null)
        {
            await _logs.DisposeAsync();
        }

        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
