namespace OAuthAspire.ServiceDefaults.Admin;

/// <summary>One page of an admin list: <c>?offset=0&amp;limit=50</c> (limit 1-200).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Offset, int Limit, long Total);

public readonly record struct Paging(int Offset, int Limit)
{
    public const int MaxLimit = 200;

    public static Paging From(int? offset, int? limit) =>
        new(Math.Max(0, offset ?? 0), Math.Clamp(limit ?? 50, 1, MaxLimit));
}

/// <summary>
/// A keyset page of a list read newest first: <c>?after=&lt;cursor&gt;&amp;limit=50</c>. The cursor is
/// the last item's (time, id), opaque to callers; a page costs the same at any depth and no row is
/// repeated while rows are added (a row committed late with a time before the cursor's is not shown).
/// </summary>
public sealed record KeysetPage<T>(IReadOnlyList<T> Items, string? Next);

public readonly record struct KeysetCursor(DateTime At, string Id)
{
    public string Encode() =>
        Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode($"{At.Ticks}:{Id}");

    /// <summary>False when the cursor was not one of ours (a 400 for the caller).</summary>
    public static bool TryDecode(string? value, out KeysetCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        try
        {
            var text = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(value);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(text.AsSpan(0, colon), out var ticks) && ticks >= 0 && ticks <= DateTime.MaxValue.Ticks)
            {
                cursor = new KeysetCursor(new DateTime(ticks, DateTimeKind.Utc), text[(colon + 1)..]);
                return true;
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
        }

        return false;
    }
}
