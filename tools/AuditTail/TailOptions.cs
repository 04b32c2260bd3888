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

/// <summary>How each event is printed.</summary>
public enum OutputFormat
{
    /// <summary>One readable line.</summary>
    Text,

    /// <summary>The event's fields (the CloudEvent's data) plus streamOffset, one JSON object per line.</summary>
    Json,

    /// <summary>The CloudEvent exactly as published, one per line.</summary>
    CloudEvents,

    /// <summary>The event as an OCSF event (<see cref="OcsfMapper"/>), one per line.</summary>
    Ocsf,
}

/// <summary>What the tool does: follow the stream, verify its chains, or print the audit keys' public halves.</summary>
public enum ToolCommand
{
    Tail,
    Verify,
    Keys,
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
    OutputFormat Format,
    TimeSpan? IdleExit,
    int? Count,
    ToolCommand Command = ToolCommand.Tail,
    string? KeysFile = null)
{
    public const string DefaultBroker = "amqp://localhost:56720/";

    public const string Usage = $"""
        usage: oauthaspire-audit [verify | keys] [options]
          verify               read the stream (from the start, or --since) and check every chain:
                               positions, hashes, MACs (with $OAUTHASPIRE_AUDIT_KEYS) and checkpoint
                               signatures (with --keys); exit 4 when a chain is broken, 5 when a
                               service could not be checked (no key for it)
          keys                 print the JWK Set of the audit keys' public halves (from
                               $OAUTHASPIRE_AUDIT_KEYS) for auditors to pin
        options:
          --connection URI     broker (default $OAUTHASPIRE_RABBITMQ, else amqp://localhost:56720/
                               with $OAUTHASPIRE_RABBITMQ_USER / $OAUTHASPIRE_RABBITMQ_PASSWORD)
          --stream NAME        stream queue (default {AuditStream.StreamName})
          --from WHERE         start | now | an ISO 8601 time | a stream offset (default start)
          --since TIME         only events that occurred at or after TIME (also the start point)
          --type T[,T...]      only these event types (e.g. TokenIssued,TokenRequestRefused)
          --client ID          only events whose actor client is ID
          --user NAME          only events whose actor user (name or id) is NAME
          --outcome O          success | failure
          --format F           text | json (the event's fields plus streamOffset) |
                               cloudevents (as published) | ocsf (OCSF {OcsfMapper.SchemaVersion}); default text
          --json               the same as --format json
          --keys FILE          verify: the pinned JWK Set (tools/audit keys wrote it)
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
        var format = OutputFormat.Text;
        var command = ToolCommand.Tail;
        string? keysFile = null;
        TimeSpan? idleExit = null;
        int? count = null;
        var first = 0;
        if (args.Length > 0 && args[0] is "verify" or "keys")
        {
            command = args[0] == "verify" ? ToolCommand.Verify : ToolCommand.Keys;
            first = 1;
        }

        for (var i = first; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--json")
            {
                format = OutputFormat.Json;
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
                case "--format":
                    if (!Enum.TryParse(value, ignoreCase: true, out format) || !Enum.IsDefined(format))
                    {
                        error = "--format: text, json, cloudevents or ocsf";
                        return false;
                    }

                    break;
                case "--keys":
                    if (!File.Exists(value))
                    {
                        error = $"--keys: no file '{value}'";
                        return false;
                    }

                    keysFile = value;
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

        // Verifying replays what is there, then stops.
        if (command == ToolCommand.Verify)
        {
            idleExit ??= TimeSpan.FromSeconds(3);
        }

        options = new TailOptions(broker, stream!, from, since, types, client, user, outcome, format, idleExit, count, command, keysFile);
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
