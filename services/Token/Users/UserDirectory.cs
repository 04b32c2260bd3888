using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.ServiceDefaults.Caching;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Token.Users;

/// <summary>Users (for their roles and status) from the directory service, cached and dropped on user events.</summary>
public sealed class UserDirectory(DirectoryClient directory)
{
    private readonly CachedLookup<string, User?> _cache = new(async (id, ct) =>
    {
        var reply = await directory.GetUserAsync(new GetUserRequest { SysId = id }, cancellationToken: ct);
        return reply.Found ? reply.User : null;
    });

    public static IReadOnlyList<CacheInvalidation> InvalidatedBy { get; } =
    [
        InvalidateOn<UserUpdated>.Key((UserDirectory d) => d._cache, e => e.UserSysId),
        InvalidateOn<UserDeleted>.Key((UserDirectory d) => d._cache, e => e.UserSysId),
    ];

    public ValueTask<User?> GetAsync(string sysId, CancellationToken cancellationToken) => _cache.GetAsync(sysId, cancellationToken);

    /// <summary>An administrator's look-up by user name (not cached: names change, sys_ids do not).</summary>
    public async Task<User?> FindByNameAsync(string userName, CancellationToken cancellationToken)
    {
        var reply = await directory.FindUserAsync(new FindUserRequest { Field = "user_name", Value = userName }, cancellationToken: cancellationToken);
        return reply.Found ? reply.User : null;
    }
}
