using OAuthAspire.AuditTail;

// Exit codes: 0 done (Ctrl-C, --count or --idle-exit; verify: every chain intact), 1 bad arguments,
// 2 broker unreachable, 3 no audit stream, 4 verify found a broken chain, 5 verify had no key for a service.
if (!TailOptions.TryParse(args, Environment.GetEnvironmentVariable, out var options, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(TailOptions.Usage);
    return 1;
}

AuditKeys keys;
try
{
    // The operator's private audit keys (tools/audit reads them from the AppHost's secrets), never printed.
    var privateKeys = Environment.GetEnvironmentVariable("OAUTHASPIRE_AUDIT_KEYS");
    if (options.Command == ToolCommand.Keys)
    {
        Console.WriteLine(AuditKeys.PublicJwks(privateKeys));
        return 0;
    }

    keys = options.Command == ToolCommand.Verify ? AuditKeys.Load(options.KeysFile, privateKeys) : AuditKeys.None;
}
catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or ArgumentException)
{
    Console.Error.WriteLine($"oauthaspire-audit: {e.Message}");
    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var verifier = options.Command == ToolCommand.Verify ? new ChainVerifier(keys, fromStart: options.From is StartAt.First) : null;
return await new Tail(options, Console.Out, Console.Error, verifier).RunAsync(stop.Token);
