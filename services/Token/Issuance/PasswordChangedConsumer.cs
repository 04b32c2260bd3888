using MassTransit;
using Microsoft.Extensions.Options;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// A changed password ends the user's refresh token families (and their access tokens), as it ends
/// their sign-in sessions: whoever held the old password may hold a refresh token too. Off with
/// <c>Refresh:KeepOnPasswordChange</c>. Runs on one replica per event (a shared queue).
/// </summary>
public sealed class PasswordChangedConsumer(RefreshTokenStore refreshTokens, IOptions<RefreshOptions> options) : IConsumer<UserUpdated>
{
    public Task Consume(ConsumeContext<UserUpdated> context) =>
        context.Message.PasswordChanged && !options.Value.KeepOnPasswordChange
            ? refreshTokens.RevokeFamiliesOfAsync(context.Message.UserSysId, null, "password changed", context.CancellationToken)
            : Task.CompletedTask;
}
