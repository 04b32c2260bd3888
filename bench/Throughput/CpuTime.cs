using System.Globalization;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// Where the CPU goes while a run lasts: utime + stime from /proc for each service and for the
/// processes that serve them (PostgreSQL, RabbitMQ, wrk), so a report can say what bounds it.
/// </summary>
public static class CpuTime
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private static readonly (string Comm, string Name)[] Groups = [("postgres", "postgresql"), ("beam.smp", "rabbitmq"), ("wrk", "wrk")];

    /// <summary>CPU seconds each process (or group) spent while <paramref name="work"/> ran.</summary>
    public static async Task<Dictionary<string, double>> DuringAsync(IReadOnlyDictionary<string, int> pids, Func<Task> work)
    {
        var before = Sample(pids);
        await work();
        var after = Sample(pids);
        return after.ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key));
    }

    private static Dictionary<string, double> Sample(IReadOnlyDictionary<string, int> pids)
    {
        var seconds = pids.ToDictionary(p => p.Key, p => Seconds(p.Value));
        foreach (var pid in Processes.AllProcesses())
        {
            var comm = Comm(pid);
            foreach (var (_, name) in Groups.Where(g => g.Comm == comm))
            {
                seconds[name] = seconds.GetValueOrDefault(name) + Seconds(pid);
            }
        }

        return seconds;
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double Seconds(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": utime and stime are fields 14 and 15, read after the ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
