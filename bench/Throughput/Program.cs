using OAuthAspire.Bench.Throughput;

// bench/throughput [seconds per run] [rounds] [all|grants|cc]: the whole comparison, written to bench/results/
// ("grants" or "cc": only those scenarios, printed; see Comparison.RunAsync).
var seconds = args.Length > 0 ? int.Parse(args[0]) : 10;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
var results = await Comparison.RunAsync(TimeSpan.FromSeconds(seconds), rounds, args.Length > 2 ? args[2] : "all");
Console.WriteLine(results);
