using Aspire.Hosting.ApplicationModel;

namespace OAuthAspire.Testing;

/// <summary>Crashing a resource on purpose, as a machine or the OOM killer would.</summary>
public static class Processes
{
    /// <summary>SIGKILLs the resource's process and everything it started: a crash, no graceful stop. Returns how many died.</summary>
    public static int KillTree(ResourceNotificationService notifications, string resource)
    {
        Assert.True(notifications.TryGetCurrentState(resource, out var state), $"no state for {resource}");
        var pidText = state.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value?.ToString();
        Assert.True(int.TryParse(pidText, out var root), $"no pid for {resource}");
        return KillTree(root);
    }

    public static int KillTree(int root)
    {
        var parents = AllProcesses().ToDictionary(pid => pid, ParentOf);
        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        }

        var killed = 0;
        foreach (var pid in tree)
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
                killed++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }

        return killed;
    }

    /// <summary>The processes <paramref name="pid"/> started (a `dotnet run` wrapper's service, say).</summary>
    public static IEnumerable<int> ChildrenOf(int pid) => AllProcesses().Where(p => ParentOf(p) == pid);

    /// <summary>The parent of a process, 0 when it is gone.</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static IEnumerable<int> AllProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture));
}
