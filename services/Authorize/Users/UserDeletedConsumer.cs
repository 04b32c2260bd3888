using Dapper;
using MassTransit;
using Npgsql;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Authorize.Users;

/// <summary>
/// A user deleted in the directory loses their remembered consents and live sign-in sessions here
/// (in the directory's transaction while the users lived in this service). Runs on one replica per
/// event (a shared queue); repeating it changes nothing.
/// </summary>
public sealed class UserDeletedConsumer(NpgsqlDataSource dataSource) : IConsumer<UserDeleted>
{
    public async Task Consume(ConsumeContext<UserDeleted> context)
    {
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM consent WHERE user_sys_id = @UserSysId;
            UPDATE login_session SET ended_at = now() WHERE user_sys_id = @UserSysId AND ended_at IS NULL;
            """, new { context.Message.UserSysId }, cancellationToken: context.CancellationToken));
    }
}
