using MassTransit;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Sessions;

/// <summary>
/// A password changed in the directory ends every live sign-in session of the user (one signed in
/// with the old password may be a thief's), each end audited as <see cref="SessionEnded"/> by the
/// administrator who changed it. Runs on one replica per event (a shared queue); a repeat finds no
/// live session and writes nothing.
/// </summary>
public sealed class PasswordChangedConsumer(NpgsqlDataSource dataSource, IAuditSink audit) : IConsumer<UserUpdated>
{
    public async Task Consume(ConsumeContext<UserUpdated> context)
    {
        var changed = context.Message;
        if (!changed.PasswordChanged)
        {
            return;
        }

        await dataSource.InTransactionAsync(async tx =>
        {
            var ended = await Sessions.EndAllOfUserAsync(tx, changed.UserSysId, context.CancellationToken);
            if (ended.Count > 0)
            {
                await audit.WriteAsync(tx, ended.Select(sid => new SessionEnded(changed.UserSysId, changed.UserName, null, sid)
                    { Actor = changed.Actor, Reason = "password changed" }).ToArray<AuditEvent>(), context.CancellationToken);
            }
        }, context.CancellationToken);
    }
}
