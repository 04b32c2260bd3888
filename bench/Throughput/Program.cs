using OAuthAspire.Bench.Throughput;

// bench/throughput [seconds per run] [rounds]: the whole comparison, written to bench/results/.
var seconds = args.Length > 0 ? int.Parse(args[0]) : 10;
var rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
var results = await Comparison.RunAsync(TimeSpan.FromSeconds(seconds), rounds);
Console.WriteLine(results);
