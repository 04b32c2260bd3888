using OAuthAspire.AuditTail;

// Exit codes: 0 done (Ctrl-C, --count or --idle-exit), 1 bad arguments, 2 broker unreachable, 3 no audit stream.
if (!TailOptions.TryParse(args, Environment.GetEnvironmentVariable, out var options, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(TailOptions.Usage);
    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await new Tail(options, Console.Out, Console.Error).RunAsync(stop.Token);
