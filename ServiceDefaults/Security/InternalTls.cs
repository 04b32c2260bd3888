using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OAuthAspire.ServiceDefaults.Security;

/// <summary>
/// TLS on the hops between our services, when the AppHost turns it on (an HTTPS issuer):
/// <c>InternalTls:Authority</c> is the PEM certificate of the authority the AppHost created for this
/// run, and callers then reach services over https and trust only certificates it issued (never the
/// machine's roots). A service that serves TLS (<c>InternalTls:Serve</c>) answers nothing but health
/// checks on its plain-text HTTP listener.
/// </summary>
public sealed class InternalTls
{
    public const string Section = "InternalTls";

    private readonly X509Certificate2? _authority;

    public InternalTls(IConfiguration configuration)
    {
        var pem = configuration[$"{Section}:Authority"];
        _authority = string.IsNullOrWhiteSpace(pem) ? null : X509Certificate2.CreateFromPem(pem);
        Serves = _authority is not null && configuration.GetValue($"{Section}:Serve", false);
    }

    public bool Enabled => _authority is not null;

    /// <summary>True when this service's own endpoints are TLS and its plain listener is for health checks only.</summary>
    public bool Serves { get; }

    /// <summary>The scheme callers use to reach a service.</summary>
    public string Scheme => Enabled ? "https" : "http";

    /// <summary>Makes a handler trust the internal authority alone (nothing changes when internal TLS is off).</summary>
    public void Configure(SocketsHttpHandler handler)
    {
        if (Enabled)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        }
    }

    /// <summary>Where callers reach <paramref name="service"/>'s HTTP: its "https" endpoint, or plain "http" without internal TLS.</summary>
    public string AddressOf(string service) => Enabled ? $"https://_https.{service}" : $"http://{service}";

    /// <summary>The primary handler of every client of our services: trusting the internal authority alone when it is on.</summary>
    public static SocketsHttpHandler PrimaryHandler(IServiceProvider services)
    {
        var handler = new SocketsHttpHandler();
        services.GetRequiredService<InternalTls>().Configure(handler);
        return handler;
    }

    /// <summary>A named HTTP client for another of our services (<see cref="AddressOf"/>).</summary>
    public static IHttpClientBuilder AddHttpClientFor(IServiceCollection services, string name, string service) =>
        services.AddHttpClient(name, (sp, client) => client.BaseAddress = new Uri(sp.GetRequiredService<InternalTls>().AddressOf(service)))
            .ConfigurePrimaryHttpMessageHandler(PrimaryHandler);

    /// <summary>The host name must match, and the chain must end at the internal authority.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_authority is null || certificate is null
            || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_authority);
        // A certificate of this run, from the AppHost's memory: there is nothing to revoke.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return custom.Build(presented);
    }

    /// <summary>On a service serving TLS: a request over plain text gets nothing but the health endpoints.</summary>
    public void RestrictPlainText(IApplicationBuilder app)
    {
        if (!Serves)
        {
            return;
        }

        app.Use((context, next) =>
        {
            var plain = context.Features.Get<ITlsHandshakeFeature>() is null;
            if (plain && !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/alive"))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }
}
