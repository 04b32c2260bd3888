using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OAuthAspire.Testing;

/// <summary>
/// An OTLP/HTTP receiver standing in for the dashboard: every service exports its traces and logs
/// here, and tests search the raw payloads (protobuf keeps strings as UTF-8 bytes) for values that
/// must never be written, such as secrets and tokens.
/// </summary>
public sealed class TelemetrySink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _payloads = new();

    private TelemetrySink(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<TelemetrySink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new TelemetrySink(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            // Metrics carry no request data; keep the rest.
            if (signal is "traces" or "logs")
            {
                sink._payloads.Enqueue(body.ToArray());
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        sink.Endpoint = new Uri(app.Urls.First());
        return sink;
    }

    /// <summary>The values found anywhere in what was exported so far.</summary>
    public IReadOnlyList<string> Find(IEnumerable<string> values)
    {
        var payloads = _payloads.ToArray();
        return values.Where(v => v.Length > 0 && payloads.Any(p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes(v)) >= 0)).ToArray();
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
