using System.Globalization;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.AuditTail;

/// <summary>Where to start reading the stream.</summary>
public abstract record StartAt
{
    public sealed record First : StartAt;

    /// <summary>Only events published from now on.</summary>
    public sealed record Next : StartAt;

    public sealed record Time(DateTimeOffset Value) : StartAt;

    public sealed record Offset(long Value) : StartAt;
}

/// <summary>The command line, parsed.</summary>
public sealed record TailOptions(
    Uri Broker,
    string Stream,
    StartAt From,
    DateTimeOffset? Since,
    IReadOnlySet<string> Types,
    string? Client,
    string? User,
    string? Outcome,
    bool Json,
    TimeSpan? IdleExit,
    int? Count)
{
    public const string DefaultBroker = "amqp://localhost:56720/";

    public const string Usage = $"""
        usage: oauthaspire-audit [options]
          --connection URI     broker (default $OAUTHASPIRE_RABBITMQ, else amqp://localhost:56720/
                               with $OAUTHASPIRE_RABBITMQ_USER / $OAUTHASPIRE_RABBITMQ_PASSWORD)
          --stream NAME        stream queue (default {AuditStream.StreamName})
          --from WHERE         start | now | an ISO 8601 time | a stream offset (default start)
          --since TIME         only events that occurred at or after TIME (also the start point)
          --type T[,T...]      only these event types (e.g. TokenIssued,TokenRequestRefused)
          --client ID          only events whose actor client is ID
          --user NAME          only events whose actor user (name or id) is NAME
          --outcome O          success | failure
          --json               one JSON object per line (the event, plus streamOffset)
          --idle-exit SECONDS  exit after SECONDS without a new event (replay, then stop)
          --count N            exit after printing N events
        Follows live until Ctrl-C otherwise.
        """;

    public static bool TryParse(string[] args, Func<string, string?> environment, out TailOptions options, out string? error)
    {
        options = null!;
        error = null;
        string? connection = environment("OAUTHASPIRE_RABBITMQ"), stream = AuditStream.StreamName, client = null, user = null, outcome = null;
        StartAt from = new StartAt.First();
        DateTimeOffset? since = null;
        var types = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var json = false;
        TimeSpan? idleExit = null;
        int? count = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--json")
            {
                json = true;
                continue;
            }

            if (name is "-h" or "--help")
            {
                error = "";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name}: a value is missing";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--connection":
                    connection = value;
                    break;
                case "--stream":
                    stream = value;
                    break;
                case "--from":
                    if (ParseStart(value) is not { } start)
                    {
                        error = $"--from: '{value}' is not start, now, an ISO 8601 time or an offset";
                        return false;
                    }

                    from = start;
                    break;
                case "--since":
                    if (!TryParseTime(value, out var time))
                    {
                        error = $"--since: '{value}' is not an ISO 8601 time";
                        return false;
                    }

                    since = time;
                    break;
                case "--type":
                    types.UnionWith(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--client":
                    client = value;
                    break;
                case "--user":
                    user = value;
                    break;
                case "--outcome":
                    if (!value.Equals("success", StringComparison.OrdinalIgnoreCase) && !value.Equals("failure", StringComparison.OrdinalIgnoreCase))
                    {
                        error = "--outcome: success or failure";
                        return false;
                    }

                    outcome = value;
                    break;
                case "--idle-exit":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                    {
                        error = "--idle-exit: a positive number of seconds";
                        return false;
                    }

                    idleExit = TimeSpan.FromSeconds(seconds);
                    break;
                case "--count":
                    if (!int.TryParse(value, CultureInfo.InvariantCulture, out var n) || n <= 0)
                    {
                        error = "--count: a positive number";
                        return false;
                    }

                    count = n;
                    break;
                default:
                    error = $"unknown option {name}";
                    return false;
            }
        }

        if (!TryBroker(connection, environment, out var broker))
        {
            error = $"--connection: '{connection}' is not an amqp:// or amqps:// URI";
            return false;
        }

        // Reading from the start only to drop everything before --since would waste the stream's index.
        if (since is { } s && from is StartAt.First)
        {
            from = new StartAt.Time(s);
        }

        options = new TailOptions(broker, stream!, from, since, types, client, user, outcome, json, idleExit, count);
        return true;
    }

    private static StartAt? ParseStart(string value) => value switch
    {
        "start" or "first" or "beginning" => new StartAt.First(),
        "now" or "live" or "next" => new StartAt.Next(),
        _ when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) => new StartAt.Offset(offset),
        _ when TryParseTime(value, out var time) => new StartAt.Time(time),
        _ => null,
    };

    private static bool TryParseTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);

    private static bool TryBroker(string? connection, Func<string, string?> environment, out Uri broker)
    {
        if (string.IsNullOrEmpty(connection))
        {
            var builder = new UriBuilder(DefaultBroker);
            if (environment("OAUTHASPIRE_RABBITMQ_USER") is { Length: > 0 } name)
            {
                builder.UserName = Uri.EscapeDataString(name);
                builder.Password = Uri.EscapeDataString(environment("OAUTHASPIRE_RABBITMQ_PASSWORD") ?? "");
            }

            broker = builder.Uri;
            return true;
        }

        return Uri.TryCreate(connection, UriKind.Absolute, out broker!) && broker.Scheme is "amqp" or "amqps";
    }
}
