using OAuthAspire.Bench.Throughput;

// bench/throughput [seconds per run] [rounds] [all|grants|cc|dpop|targets|curves|growth|seed [fraction]]: the whole comparison, written to bench/results/
// ("grants", "cc" or "dpop": only those scenarios, printed, see Comparison.RunAsync; "targets", "curves" and "growth": issue 25's
// comparisons against oidc-provider with PostgreSQL storage, see Targets and Growth).
var seconds = args.Length > 0 ? int.Parse(args[0]) : 10;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
var part = args.Length > 2 ? args[2] : "all";
var duration = TimeSpan.FromSeconds(seconds);
var root = Comparison.Root();
var results = part switch
{
    "targets" => await Targets.RunTargetsAsync(root, duration, rounds),
    "curves" => await Targets.RunCurvesAsync(root, duration),
    "growth" => await Growth.RunAsync(root, duration, rounds),
    "seed" => await Growth.SeedOnlyAsync(args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1.0),
    _ => await Comparison.RunAsync(duration, rounds, part),
};
Console.WriteLine(results);
