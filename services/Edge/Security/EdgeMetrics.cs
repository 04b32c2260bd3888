using System.Diagnostics;
using System.Diagnostics.Metrics;
using OAuthAspire.ServiceDefaults;

namespace OAuthAspire.Edge.Security;

/// <summary>What the API gate's policy decision costs per request, by whether the policy set was in memory.</summary>
public static class EdgeMetrics
{
    private static readonly Meter Meter = new(Telemetry.SourceName);

    private static readonly Histogram<double> Decision = Meter.CreateHistogram<double>(
        "oauthaspire.edge.api_decision.duration", "s", "Time the edge spends deciding an API call against the scope policies.");

    private static readonly KeyValuePair<string, object?> Cached = new("policies", "cached");
    private static readonly KeyValuePair<string, object?> Loaded = new("policies", "loaded");

    public static void RecordDecision(long startedAt, bool cached) =>
        Decision.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, cached ? Cached : Loaded);
}
