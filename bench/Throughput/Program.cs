using OAuthAspire.Bench.Throughput;

// bench/throughput [seconds per run] [rounds] [all|grants|cc|dpop]: the whole comparison, written to bench/results/
// ("grants", "cc" or "dpop": only those scenarios, printed; see Comparison.RunAsync).
var seconds = args.Length > 0 ? int.Parse(args[0]) : 10;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
var results = await Comparison.RunAsync(TimeSpan.FromSeconds(seconds), rounds, args.Length > 2 ? args[2] : "all");
Console.WriteLine(results);
