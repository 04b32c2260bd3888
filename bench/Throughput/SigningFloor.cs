using System.Globalization;
using System.Text;

namespace OAuthAspire.Bench.Throughput;

/// <summary>
/// The crypto floor as BenchmarkDotNet measured it just before (<c>bench/micro --filter '*SigningFloor*'</c>):
/// one access-token-sized JWT signed per call, so two threads sign at most 2 / mean per second.
/// </summary>
public sealed record SigningFloor(double Rs256PerSecond, double Es256PerSecond)
{
    public const string ReportPath = "bench/results/raw/micro/results/OAuthAspire.Bench.Micro.SigningFloorBenchmarks-report.csv";

    /// <summary>The floor from the latest report, or null when the micro benchmark has not run.</summary>
    public static SigningFloor? Read(string root)
    {
        var file = Path.Combine(root, ReportPath);
        if (!File.Exists(file))
        {
            return null;
        }

        var lines = File.ReadAllLines(file);
        var header = Split(lines[0]);
        var (method, mean) = (Array.IndexOf(header, "Method"), Array.IndexOf(header, "Mean"));
        var means = lines.Skip(1).Select(Split).ToDictionary(f => f[method], f => Seconds(f[mean]));
        return new SigningFloor(Environment.ProcessorCount / means["Rs256"], Environment.ProcessorCount / means["Es256"]);
    }

    /// <summary>A CSV line's fields (BenchmarkDotNet quotes a field holding a comma, e.g. "1,382.4 ns").</summary>
    private static string[] Split(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return [.. fields];
    }

    /// <summary>"213.54 μs" → seconds.</summary>
    private static double Seconds(string value)
    {
        var parts = value.Replace(",", "", StringComparison.Ordinal).Split(' ');
        var number = double.Parse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture);
        return number * parts[1] switch
        {
            "s" => 1,
            "ms" => 1e-3,
            "μs" or "us" => 1e-6,
            "ns" => 1e-9,
            _ => throw new FormatException($"unknown unit in '{value}'"),
        };
    }
}
