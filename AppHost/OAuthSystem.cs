using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OAuthAspire.AppHost.Infrastructure;

namespace OAuthAspire.AppHost;

/// <summary>
/// Adds OAuthAspire's services with what each needs: its own database, the broker, the issuer
/// and the internal key. Services wait only for their database and the broker, never for each
/// other (their calls form cycles); calls between them retry until the callee listens.
/// </summary>
public sealed class OAuthSystem
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly OAuthInfrastructure _infrastructure;
    private readonly IResourceBuilder<ParameterResource> _internalKey;
    private readonly int _replicas;
    private EndpointReference? _issuer;

    public OAuthSystem(IDistributedApplicationBuilder builder, OAuthInfrastructure infrastructure)
    {
        _builder = builder;
        _infrastructure = infrastructure;
        _internalKey = builder.AddParameter("internal-key",
            new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
        _replicas = Math.Max(1, builder.Configuration.GetValue("Services:Replicas", 1));
    }

    /// <summary>The edge: the single public origin, whose URL is the issuer.</summary>
    public IResourceBuilder<ProjectResource> AddEdge()
    {
        // Fixed by default (http://localhost:8080); 0 picks a free port (tests).
        var port = InfrastructureSettings.PortOrFree(_builder.Configuration.GetValue("Edge:Port", 8080));
        var edge = AddService<Projects.Edge>("edge")
            .WithEndpoint("http", e =>
            {
                e.Port = port;
                if (!e.IsProxied && !_builder.ExecutionContext.IsPublishMode)
                {
                    e.TargetPort = port;
                }
            })
            .WithExternalHttpEndpoints();
        _issuer = AddHttps(edge) ?? edge.GetEndpoint("http");
        edge.WithEnvironment("OAuth__Issuer", _issuer)
            // Each replica enforces its share of the limits (RateLimits:*), counted in memory.
            .WithEnvironment("RateLimits__Replicas", _replicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var limit in _builder.Configuration.GetSection("RateLimits").GetChildren())
        {
            foreach (var setting in limit.GetChildren())
            {
                edge.WithEnvironment($"RateLimits__{limit.Key}__{setting.Key}", setting.Value ?? "");
            }
        }

        edge.OnResourceReady((_, e, _) =>
        {
            e.Services.GetRequiredService<ILogger<OAuthSystem>>().LogInformation(
                "OAuthAspire is ready. Issuer: {Issuer}  (metadata: {Issuer}/.well-known/openid-configuration)", _issuer.Url, _issuer.Url);
            return Task.CompletedTask;
        });
        return edge;
    }

    /// <summary>
    /// With <c>Edge:Certificate:Path</c> (a PKCS#12 file) the edge also serves HTTPS, on
    /// <c>Edge:HttpsPort</c> (8443; 0 = any free port), and that URL is the issuer. The plain HTTP
    /// endpoint stays for health checks on this machine only.
    /// </summary>
    private EndpointReference? AddHttps(IResourceBuilder<ProjectResource> edge)
    {
        var certificate = _builder.Configuration["Edge:Certificate:Path"];
        if (string.IsNullOrEmpty(certificate))
        {
            return null;
        }

        var port = InfrastructureSettings.PortOrFree(_builder.Configuration.GetValue("Edge:HttpsPort", 8443));
        edge.WithHttpsEndpoint(port: port, targetPort: port, name: "https", isProxied: false)
            .WithEnvironment("Kestrel__Certificates__Default__Path", certificate)
            .WithEnvironment("Kestrel__Certificates__Default__Password", _builder.Configuration["Edge:Certificate:Password"] ?? "");
        return edge.GetEndpoint("https");
    }

    /// <summary>A generated secret parameter, kept across runs in the AppHost's user secrets.</summary>
    public IResourceBuilder<ParameterResource> Secret(string name) =>
        _builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

    /// <param name="usesBroker">False for a protected API outside the OAuth system (the sample), which writes no audit events.</param>
    public IResourceBuilder<ProjectResource> AddService<TProject>(string name, bool usesBroker = true) where TProject : IProjectMetadata, new()
    {
        var database = _infrastructure.AddDatabase(name.Replace("-", "") + "db", name.Replace("-", ""));
        var service = _builder.AddProject<TProject>(name)
            .WithReference(database).WaitFor(database);
        if (usesBroker)
        {
            service.WithReference(_infrastructure.Broker).WaitFor(_infrastructure.Broker);
            // Every relay declares the audit stream; all must agree on its retention.
            foreach (var setting in _builder.Configuration.GetSection("Audit:Stream").GetChildren())
            {
                service.WithEnvironment($"Audit__Stream__{setting.Key}", setting.Value ?? "");
            }

            // How long identical refusals are counted before their total is written (RepeatedRefusals).
            if (_builder.Configuration["Audit:RepeatWindow"] is { Length: > 0 } window)
            {
                service.WithEnvironment("Audit__RepeatWindow", window);
            }
        }

        service.WithEnvironment("Internal__Key", _internalKey)
            // Aspire turns on ASP.NET Core's forwarded headers for any loopback proxy; ours are
            // trusted only with the internal key (ServiceDefaults' EdgeTrust).
            .WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "false")
            .WithHttpHealthCheck("/health", endpointName: "http");

        if (_builder.ExecutionContext.IsPublishMode)
        {
            // Deployed containers listen on fixed ports; locally every port is allocated.
            service.WithEndpoint("http", e => e.TargetPort = 8080, createIfNotExists: false)
                .WithEndpoint("grpc", e => e.TargetPort = 8081, createIfNotExists: false);
        }
        else
        {
            service.WithEnvironment("ASPNETCORE_ENVIRONMENT", _builder.Environment.EnvironmentName);
        }

        if (_issuer is not null)
        {
            service.WithEnvironment("OAuth__Issuer", _issuer);
        }

        // Per-service settings from the AppHost's configuration, e.g. Services:token:Environment:Refresh__ReuseGrace.
        foreach (var setting in _builder.Configuration.GetSection($"Services:{name}:Environment").GetChildren())
        {
            service.WithEnvironment(setting.Key, setting.Value ?? "");
        }

        if (_replicas > 1)
        {
            service.WithReplicas(_replicas);
        }
        else
        {
            // One process each: callers connect straight to it, with no proxy hop, and a callee
            // that is not up yet refuses the connection (which callers retry) instead of a proxy
            // accepting and then dropping it.
            service.WithEndpointProxySupport(false);
        }

        return service;
    }
}
