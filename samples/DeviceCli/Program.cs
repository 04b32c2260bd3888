using OAuthAspire.Samples.DeviceCli;

// Usage: DeviceCli <issuer> <client_id> [scope] [api path]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DeviceCli <issuer> <client_id> [scope] [api path]");
    return 2;
}

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var flow = new DeviceSignIn(http, args[0].TrimEnd('/'), args[1], Console.Out);
return await flow.RunAsync(args.Length > 2 ? args[2] : "useraccount", args.Length > 3 ? args[3] : "/api/now/table/incident", CancellationToken.None);
