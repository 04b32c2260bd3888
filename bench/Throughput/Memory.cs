namespace OAuthAspire.Bench.Throughput;

/// <summary>Resident memory of processes, read from /proc (VmRSS).</summary>
public static class Memory
{
    public static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The largest resident size each process reaches while <paramref name="work"/> runs.</summary>
    public static async Task<Dictionary<string, long>> PeakWhileAsync(IReadOnlyDictionary<string, int> pids, Func<Task> work)
    {
        var peaks = pids.ToDictionary(p => p.Key, p => ResidentBytes(p.Value));
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (name, pid) in pids)
                {
                    peaks[name] = Math.Max(peaks[name], ResidentBytes(pid));
                }

                await Task.Delay(250);
            }
        });
        await work();
        await stop.CancelAsync();
        await sampler;
        return peaks;
    }
}
