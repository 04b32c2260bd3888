using System.Collections.Concurrent;

namespace OAuthAspire.Protocol.Tokens;

/// <summary>
/// "Not valid before" cut-offs per user and per client: when a user is deactivated, deleted or loses
/// a role, or a client is deactivated or deleted, every token naming them issued up to that moment
/// stops working, without a list of token ids. Compared in whole seconds (a JWT's <c>iat</c>), so a
/// token issued in the very second of the change is refused too: in doubt, refuse.
/// </summary>
public sealed class CutOffs
{
    public const string User = "user";
    public const string Client = "client";

    /// <summary>The longest an access token can live (<c>ClientRules.MaxAccessTokenLifespan</c>) plus skew: older cut-offs can match nothing.</summary>
    public static readonly TimeSpan Relevance = TimeSpan.FromSeconds(Clients.ClientRules.MaxAccessTokenLifespan + 300);

    private readonly ConcurrentDictionary<(string Kind, string Id), long> _issuedBefore = new();

    public int Count => _issuedBefore.Count;

    public static bool IsKnownKind(string kind) => kind is User or Client;

    /// <summary>Records a cut-off; a later one wins, an earlier one (an old event arriving late) changes nothing.</summary>
    public void Set(string kind, string id, DateTimeOffset issuedBefore)
    {
        var seconds = issuedBefore.ToUnixTimeSeconds();
        _issuedBefore.AddOrUpdate((kind, id), seconds, (_, known) => Math.Max(known, seconds));
    }

    /// <summary>True when the token was issued at or before a cut-off of its subject or of its client.</summary>
    public bool Refuses(AccessTokenContent token) =>
        Covers(User, token.Subject, token.IssuedAt) || Covers(Client, token.ClientId, token.IssuedAt);

    public static bool Refuses(DateTimeOffset cutOff, DateTimeOffset issuedAt) => issuedAt.ToUnixTimeSeconds() <= cutOff.ToUnixTimeSeconds();

    public void PurgeBefore(DateTimeOffset now)
    {
        var limit = (now - Relevance).ToUnixTimeSeconds();
        foreach (var (key, seconds) in _issuedBefore)
        {
            if (seconds < limit)
            {
                _issuedBefore.TryRemove(key, out _);
            }
        }
    }

    private bool Covers(string kind, string id, DateTimeOffset issuedAt) =>
        _issuedBefore.TryGetValue((kind, id), out var seconds) && issuedAt.ToUnixTimeSeconds() <= seconds;
}
