using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OAuthAspire.AppHost.Infrastructure;
using ServiceNames = OAuthAspire.ServiceDefaults.ServiceNames;

namespace OAuthAspire.AppHost;

/// <summary>
/// Adds OAuthAspire's services with what each needs: its own database login, its own broker
/// login, the issuer and its service identity. Each service waits for its database and broker
/// logins (provisioned by the AppHost); which services wait for which others is Program.cs's
/// choice (only edges that form no cycle); calls between them retry until the callee listens.
/// </summary>
public sealed class OAuthSystem
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly OAuthInfrastructure _infrastructure;
    private readonly ServiceIdentities _identities;
    private readonly int _replicas;
    private readonly InternalCertificates? _internalTls;
    private EndpointReference? _issuer;
    private EndpointReference? _mtls;

    /// <summary>The connection name every service's bus reads (ServiceDefaults' Bus.ConnectionName).</summary>
    private const string Messaging = "rabbitmq";

    public OAuthSystem(IDistributedApplicationBuilder builder, OAuthInfrastructure infrastructure)
    {
        _builder = builder;
        _infrastructure = infrastructure;
        _identities = new ServiceIdentities(builder);
        _replicas = Math.Max(1, builder.Configuration.GetValue("Services:Replicas", 1));
        // TLS between services whenever the issuer is HTTPS (or asked for); plain text on loopback in
        // development. A deployment from the manifest brings its own (issue: Kubernetes).
        var internalTls = builder.Configuration.GetValue("InternalTls:Enabled", !string.IsNullOrEmpty(builder.Configuration["Edge:Certificate:Path"]));
        if (internalTls && !builder.ExecutionContext.IsPublishMode)
        {
            _internalTls = new InternalCertificates(Path.Combine(infrastructure.Settings.DataDirectory, "internal-tls"));
        }
    }

    /// <summary>The issuer (the edge's URL), once its endpoint is allocated.</summary>
    public string IssuerUrl => (_issuer ?? throw new InvalidOperationException("The edge is not added yet.")).Url;

    /// <summary>The edge: the single public origin, whose URL is the issuer.</summary>
    public IResourceBuilder<ProjectResource> AddEdge()
    {
        // Fixed by default (http://localhost:8080); 0 picks a free port (tests).
        var port = InfrastructureSettings.PortOrFree(_builder.Configuration.GetValue("Edge:Port", 8080));
        var edge = AddService<Projects.Edge>(ServiceNames.Edge)
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
        _mtls = AddMutualTls(edge);
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

    /// <summary>
    /// The edge's mutual-TLS listener (RFC 8705 §5), on <c>Edge:MtlsPort</c> (8444; 0 = any free port):
    /// the only one that asks for client certificates, so browsers signing in on the issuer are never
    /// prompted. Its server certificate is <c>Edge:Certificate:Path</c>'s, else one the AppHost issues
    /// for localhost at each start from a local authority (its certificate is written to
    /// <c>{DataDirectory}/edge-mtls/authority.crt</c> for clients to trust). Run mode only: a deployment
    /// brings its own TLS.
    /// </summary>
    private EndpointReference? AddMutualTls(IResourceBuilder<ProjectResource> edge)
    {
        if (_builder.ExecutionContext.IsPublishMode)
        {
            return null;
        }

        var port = InfrastructureSettings.PortOrFree(_builder.Configuration.GetValue("Edge:MtlsPort", 8444));
        // Replicas share the port through Aspire's proxy, which passes TLS through untouched (layer 4);
        // one edge listens on it itself. Either way on loopback, like the edge's other listeners
        // (Aspire would bind an added endpoint to every interface).
        if (_replicas > 1)
        {
            edge.WithHttpsEndpoint(port: port, name: "mtls");
        }
        else
        {
            edge.WithHttpsEndpoint(port: port, targetPort: port, name: "mtls", isProxied: false);
        }

        var listener = edge.GetEndpoint("mtls");
        edge.WithEnvironment("Kestrel__Endpoints__mtls__Url", ReferenceExpression.Create($"https://localhost:{listener.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("Kestrel__Endpoints__mtls__ClientCertificateMode", "AllowCertificate");
        if (_builder.Configuration["Edge:Certificate:Path"] is { Length: > 0 } certificate)
        {
            edge.WithEnvironment("Kestrel__Endpoints__mtls__Certificate__Path", certificate)
                .WithEnvironment("Kestrel__Endpoints__mtls__Certificate__Password", _builder.Configuration["Edge:Certificate:Password"] ?? "");
        }
        else
        {
            using var authority = new InternalCertificates(Path.Combine(_infrastructure.Settings.DataDirectory, "edge-mtls"));
            var (serverCertificate, key) = authority.Issue(ServiceNames.Edge);
            edge.WithEnvironment("Kestrel__Endpoints__mtls__Certificate__Path", serverCertificate)
                .WithEnvironment("Kestrel__Endpoints__mtls__Certificate__KeyPath", key);
        }

        edge.WithEnvironment("Mtls__BaseUrl", listener);
        return listener;
    }

    /// <summary>A generated secret parameter, kept across runs in the AppHost's user secrets.</summary>
    public IResourceBuilder<ParameterResource> Secret(string name) =>
        _builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

    /// <summary>
    /// A protected API outside the OAuth system (the sample): its own database, and the edge's public
    /// keys to check the identity assertions the edge adds. No broker, no internal credential.
    /// </summary>
    public IResourceBuilder<ProjectResource> AddApi<TProject>(string name) where TProject : IProjectMetadata, new() =>
        _identities.TrustEdge(AddService<TProject>(name, api: true));

    /// <summary>
    /// The admin console: a client of this server like any other, outside the trust boundary. It signs
    /// administrators in with its own client's secret and keeps its sealed key ring in a directory its
    /// replicas share; no database, no broker login, no service identity.
    /// </summary>
    public IResourceBuilder<ProjectResource> AddConsole(IResourceBuilder<ParameterResource> clientSecret, IResourceBuilder<ParameterResource> keyRingKey)
    {
        var keyRing = _builder.ExecutionContext.IsPublishMode
            ? "/var/lib/oauthaspire/console-keys"
            : Path.Combine(_infrastructure.Settings.DataDirectory, "console-keys");
        var console = _builder.AddProject<Projects.AdminConsole>(ServiceNames.Console)
            .WithEnvironment("OAuth__Issuer", _issuer ?? throw new InvalidOperationException("Add the edge first: the console signs in with its issuer."))
            .WithEnvironment("Console__ClientSecret", clientSecret)
            .WithEnvironment("Console__KeyRingKey", keyRingKey)
            .WithEnvironment("Console__KeyRingPath", keyRing)
            .WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "false")
            .WithHttpHealthCheck("/health", endpointName: "http");
        if (_builder.ExecutionContext.IsPublishMode)
        {
            console.WithEndpoint("http", e => e.TargetPort = 8080, createIfNotExists: false);
        }
        else
        {
            console.WithEnvironment("ASPNETCORE_ENVIRONMENT", _builder.Environment.EnvironmentName);
        }

        if (_replicas > 1)
        {
            console.WithReplicas(_replicas);
        }
        else
        {
            console.WithEndpointProxySupport(false);
        }

        return console;
    }

    /// <param name="api">True for a protected API outside the OAuth system (<c>AddApi</c>).</param>
    public IResourceBuilder<ProjectResource> AddService<TProject>(string name, bool api = false) where TProject : IProjectMetadata, new()
    {
        var database = _infrastructure.AddDatabase(name.Replace("-", "") + "db", name.Replace("-", ""));
        var service = _builder.AddProject<TProject>(name)
            .WithReference(database).WaitFor(database);
        if (!api)
        {
            // Its own broker login, as ConnectionStrings__rabbitmq: it may publish only its own events.
            var broker = _infrastructure.AddBrokerLogin(name);
            service.WithReference(broker, Messaging).WaitFor(broker);
            _identities.Give(service, name);

            // How long identical refusals are counted before their total is written (RepeatedRefusals).
            if (_builder.Configuration["Audit:RepeatWindow"] is { Length: > 0 } window)
            {
                service.WithEnvironment("Audit__RepeatWindow", window);
            }
        }

        if (_internalTls is not null && !api)
        {
            service.WithEnvironment("InternalTls__Authority", _internalTls.AuthorityPem);
            if (name != ServiceNames.Edge)
            {
                // Its gRPC endpoint and an "https" one for the edge's requests serve TLS under its own
                // certificate; the plain "http" endpoint is left to health checks.
                var (certificate, key) = _internalTls.Issue(name);
                service.WithEndpoint("grpc", e => e.UriScheme = "https", createIfNotExists: false)
                    .WithHttpsEndpoint(name: "https")
                    .WithEnvironment("Kestrel__Certificates__Default__Path", certificate)
                    .WithEnvironment("Kestrel__Certificates__Default__KeyPath", key)
                    .WithEnvironment("InternalTls__Serve", "true");
                // On loopback like the service's other listeners (Aspire would bind an added endpoint to every interface).
                var https = service.GetEndpoint("https");
                service.WithEnvironment("Kestrel__Endpoints__https__Url",
                    ReferenceExpression.Create($"https://localhost:{https.Property(EndpointProperty.TargetPort)}"));
            }
        }

        // Aspire turns on ASP.NET Core's forwarded headers for any loopback proxy; ours are trusted
        // only from the edge, proven by its service token (ServiceDefaults' EdgeTrust).
        service.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "false")
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

        // The authorization endpoint's settings (Authorize:RequireState, Authorize:RequirePushedAuthorizationRequests):
        // the token service checks pushed requests and states the rules in the metadata by the same ones.
        if (name is ServiceNames.Token or ServiceNames.Authorize)
        {
            foreach (var setting in _builder.Configuration.GetSection("Authorize").GetChildren())
            {
                service.WithEnvironment($"Authorize__{setting.Key}", setting.Value ?? "");
            }
        }

        // Self-registration (Registration:Mode, Registration:OpenPolicy): served by client-registry, advertised by token.
        if (name is ServiceNames.Token or ServiceNames.ClientRegistry)
        {
            foreach (var setting in _builder.Configuration.GetSection("Registration").GetChildren())
            {
                service.WithEnvironment($"Registration__{setting.Key}", setting.Value ?? "");
            }
        }

        if (name == ServiceNames.Token)
        {
            // Where clients authenticate with certificates (the metadata's mtls_endpoint_aliases), and the
            // authorities tls_client_auth certificates must chain to (a PEM file; none: that method fails).
            if (_mtls is not null)
            {
                service.WithEnvironment("Mtls__BaseUrl", _mtls);
            }

            if (_builder.Configuration["Mtls:ClientAuthorities"] is { Length: > 0 } authorities)
            {
                service.WithEnvironment("Mtls__ClientAuthorities", Path.GetFullPath(authorities));
            }
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
