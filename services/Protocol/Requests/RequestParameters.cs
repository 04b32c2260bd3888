namespace OAuthAspire.Protocol.Requests;

/// <summary>
/// The parameters of a form-encoded request, as the host read them. RFC 6749 §3.1 and §3.2:
/// parameters sent without a value are treated as omitted, and none may appear twice but
/// <see cref="Repeatable"/> ones (RFC 8707 §2: <c>resource</c>).
/// </summary>
public sealed class RequestParameters
{
    public const int MaxValueLength = 8192;

    /// <summary>Parameters a request may repeat; kept as one space-separated value where one value is stored (an absolute URI holds no space).</summary>
    public static readonly IReadOnlySet<string> Repeatable = new HashSet<string>(StringComparer.Ordinal) { "resource" };

    private readonly Dictionary<string, IReadOnlyList<string?>> _values;

    public RequestParameters(IEnumerable<KeyValuePair<string, IReadOnlyList<string?>>> values) =>
        _values = values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    public static RequestParameters Empty { get; } = new([]);

    /// <summary>Parameters kept as one value each (a pushed request, a request object's claims).</summary>
    public static RequestParameters FromSingle(IEnumerable<KeyValuePair<string, string>> values) =>
        new(values.Select(kv => new KeyValuePair<string, IReadOnlyList<string?>>(kv.Key,
            Repeatable.Contains(kv.Key) ? kv.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [kv.Value])));

    public static RequestParameters Of(params (string Name, string? Value)[] values) =>
        new(values.GroupBy(v => v.Name).Select(g => new KeyValuePair<string, IReadOnlyList<string?>>(g.Key, g.Select(v => v.Value).ToArray())));

    /// <summary>The single value of <paramref name="name"/>, or null when absent or empty.</summary>
    public string? this[string name] =>
        _values.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    public bool Contains(string name) => this[name] is not null;

    /// <summary>Every value sent for <paramref name="name"/> (a <see cref="Repeatable"/> one), empty ones left out.</summary>
    public IReadOnlyList<string> All(string name) =>
        _values.TryGetValue(name, out var values) ? values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToArray() : [];

    /// <summary>
    /// Every parameter sent with a value, with that value (after <see cref="Check"/>: each once); a
    /// <see cref="Repeatable"/> one with its values joined by spaces, as <see cref="FromSingle"/> reads them back.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Values =>
        _values.Where(kv => kv.Value.Any(v => !string.IsNullOrEmpty(v))).Select(kv => new KeyValuePair<string, string>(kv.Key,
            Repeatable.Contains(kv.Key) ? string.Join(' ', kv.Value.Where(v => !string.IsNullOrEmpty(v))) : kv.Value.First(v => !string.IsNullOrEmpty(v))!));

    /// <summary>The first parameter sent more than once (with a value), or one that is oversized.</summary>
    public ProtocolErrorCheck Check()
    {
        foreach (var (name, values) in _values)
        {
            if (values.Count(v => !string.IsNullOrEmpty(v)) > 1 && !Repeatable.Contains(name))
            {
                return new ProtocolErrorCheck($"The '{name}' parameter must not be repeated.");
            }

            if (values.Any(v => v is { Length: > MaxValueLength }))
            {
                return new ProtocolErrorCheck($"The '{name}' parameter is too long.");
            }
        }

        return ProtocolErrorCheck.Ok;
    }
}

/// <summary>Null description when the parameters are acceptable.</summary>
public readonly record struct ProtocolErrorCheck(string? Description)
{
    public static ProtocolErrorCheck Ok => default;

    public bool IsOk => Description is null;
}
