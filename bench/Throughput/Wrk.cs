using System.Diagnostics;
using System.Globalization;

namespace OAuthAspire.Bench.Throughput;

/// <summary>One measured wrk run.</summary>
public sealed record WrkResult(string Target, string Scenario, int Connections, int Run, long Requests, double Seconds, double P50Ms, double P99Ms, long Non2xx, long SocketErrors)
{
    public double PerSecond => Requests / Seconds;

    /// <summary>PostgreSQL's work per request, where the run measured it (ours in the growth and targets runs).</summary>
    public PgWork? Postgres { get; init; }
}

/// <summary>What wrk sends: a method, a path, headers and a body, written out as its Lua script.</summary>
public sealed record WrkRequest(string Method, Uri Url, IReadOnlyDictionary<string, string> Headers, string? Body = null)
{
    /// <summary>Lua appended to the script: a <c>request()</c> (and <c>response()</c>) for requests that differ one from the next.</summary>
    public string? Script { get; init; }

    /// <summary>One wrk thread per connection, so <c>response()</c> knows which connection's state it updates.</summary>
    public bool ThreadPerConnection { get; init; }
}

/// <summary>Runs wrk (the Debian package) with a generated Lua script that prints one parsable summary line.</summary>
public static class Wrk
{
    /// <summary>wrk threads for a number of connections (unless one per connection): one per core.</summary>
    public static int Threads(int connections) => Math.Min(connections, 2);

    public static async Task<WrkResult> RunAsync(string target, string scenario, WrkRequest request, int connections, TimeSpan duration, int run)
    {
        var script = Path.Combine(Path.GetTempPath(), $"oauthaspire-wrk-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Lua(request));
        try
        {
            var threads = request.ThreadPerConnection ? connections : Threads(connections);
            var start = new ProcessStartInfo("wrk")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                    "-d", $"{(int)duration.TotalSeconds}s", "--timeout", "10s", "-s", script, request.Url.ToString() },
            };
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"wrk printed no result: {output} {errors}");
            var f = line.Split(' ');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            return new WrkResult(target, scenario, connections, run, (long)D(1), D(2) / 1e6, D(3) / 1000, D(4) / 1000, (long)D(5), (long)D(6));
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static string Lua(WrkRequest request)
    {
        var lines = new List<string> { $"wrk.method = {Quote(request.Method)}" };
        if (request.Body is not null)
        {
            lines.Add($"wrk.body = {Quote(request.Body)}");
        }

        lines.AddRange(request.Headers.Select(h => $"wrk.headers[{Quote(h.Key)}] = {Quote(h.Value)}"));
        if (request.Script is not null)
        {
            lines.Add(request.Script);
        }

        // requests, duration (µs), p50 and p99 latency (µs), non-2xx/3xx statuses, socket errors.
        lines.Add("""
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
            end
            """);
        return string.Join('\n', lines) + "\n";
    }

    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
