namespace OAuthAspire.ServiceDefaults.Admin;

/// <summary>One page of an admin list: <c>?offset=0&amp;limit=50</c> (limit 1-200).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Offset, int Limit, long Total);

public readonly record struct Paging(int Offset, int Limit)
{
    public const int MaxLimit = 200;

    public static Paging From(int? offset, int? limit) =>
        new(Math.Max(0, offset ?? 0), Math.Clamp(limit ?? 50, 1, MaxLimit));
}
