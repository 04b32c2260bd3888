using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OAuthAspire.ServiceDefaults;

/// <summary>OpenTelemetry logs, traces and metrics, exported over OTLP to the Aspire dashboard.</summary>
public static class Telemetry
{
    /// <summary>Activity source and meter of OAuthAspire's own spans and instruments.</summary>
    public const string SourceName = "OAuthAspire";

    public static TBuilder ConfigureTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Aspire turns query-string redaction off in development; an OAuth server's query strings
        // carry id_token_hint and codes, so they stay redacted in every trace, whatever the environment.
        builder.Configuration["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "false";
        builder.Configuration["OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION"] = "false";
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit", SourceName))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, SourceName, "MassTransit")
                .AddAspNetCoreInstrumentation(o => o.Filter = IsTraced)
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    // Health probes run every few seconds; tracing them would drown the real traffic.
    private static bool IsTraced(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/alive");
}
