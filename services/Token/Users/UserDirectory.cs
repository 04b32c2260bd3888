using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.ServiceDefaults.Caching;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Token.Users;

/// <summary>Users (for their roles and status) from the authorize service, cached and dropped on user events.</summary>
public sealed class UserDirectory(DirectoryClient directory)
{
    private readonly ExpiringCache<string, User?> _cache = new(TimeSpan.FromSeconds(60));

    public ExpiringCache<string, User?> Cache => _cache;

    public ValueTask<User?> GetAsync(string sysId, CancellationToken cancellationToken) =>
        _cache.GetOrAddAsync(sysId, async (id, ct) =>
        {
            var reply = await directory.GetUserAsync(new GetUserRequest { SysId = id }, cancellationToken: ct);
            return reply.Found ? reply.User : null;
        }, cancellationToken);
}

public sealed class UserChangedConsumer(UserDirectory users) : IConsumer<UserUpdated>, IConsumer<UserDeleted>
{
    public Task Consume(ConsumeContext<UserUpdated> context) => Drop(context.Message.UserSysId);

    public Task Consume(ConsumeContext<UserDeleted> context) => Drop(context.Message.UserSysId);

    private Task Drop(string sysId)
    {
        users.Cache.Invalidate(sysId);
        return Task.CompletedTask;
    }
}
