using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using System.Net;
using System.Net.Sockets;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>Where PostgreSQL and RabbitMQ come from.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, else local processes.</summary>
    Auto,
    Container,
    /// <summary>Processes of the Debian packages, started and stopped by the AppHost.</summary>
    Local,
    /// <summary>Servers already running elsewhere, given by connection strings.</summary>
    External,
}

/// <summary>The AppHost's <c>Infrastructure</c> configuration section.</summary>
public sealed record InfrastructureSettings(InfrastructureMode Mode, string DataDirectory, int PostgresPort, int RabbitMqPort)
{
    public static InfrastructureSettings From(IDistributedApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Infrastructure");
        var mode = Enum.Parse<InfrastructureMode>(section["Mode"] ?? "Auto", ignoreCase: true);
        if (builder.ExecutionContext.IsPublishMode)
        {
            // The manifest describes the deployable form: containers, nothing machine-specific.
            mode = InfrastructureMode.Container;
        }
        else if (mode == InfrastructureMode.Auto)
        {
            mode = ContainerRuntimeAnswers() ? InfrastructureMode.Container : InfrastructureMode.Local;
        }

        var dataDirectory = section["DataDirectory"];
        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            dataDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".data"));
        }

        return new InfrastructureSettings(mode, dataDirectory,
            PortOrFree(section.GetValue("PostgresPort", 54320)),
            PortOrFree(section.GetValue("RabbitMqPort", 56720)));
    }

    /// <summary>
    /// 0 means "any free port" (tests, several systems on one machine): one below the kernel's ephemeral
    /// range (<c>net.ipv4.ip_local_port_range</c>, 32768-60999 by default), which it hands to outgoing
    /// connections, so none of those can take it between this choice and the process that binds it later
    /// (RabbitMQ once failed to boot on exactly that); never one this process handed out already.
    /// </summary>
    public static int PortOrFree(int port)
    {
        if (port != 0)
        {
            return port;
        }

        var below = Math.Min(EphemeralStart(), 32_768);
        for (var attempt = 0; below > FreeRangeStart + 1000 && attempt < 100; attempt++)
        {
            var candidate = Random.Shared.Next(FreeRangeStart, below);
            lock (HandedOut)
            {
                if (HandedOut.Contains(candidate))
                {
                    continue;
                }

                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, candidate);
                    probe.Start();
                    HandedOut.Add(candidate);
                    return candidate;
                }
                catch (SocketException)
                {
                    // Taken: try another.
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int FreeRangeStart = 20_000;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>The first port of the kernel's ephemeral range (Linux), or the default's when it cannot be read.</summary>
    private static int EphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    private static bool ContainerRuntimeAnswers()
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is null)
                {
                    continue;
                }

                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0)
                {
                    return true;
                }

                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }

        return false;
    }
}
