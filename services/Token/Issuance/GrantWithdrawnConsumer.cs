using MassTransit;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// A withdrawn consent or a deleted user ends the refresh token families it backed (and their
/// access tokens). Runs on one replica per event (a shared queue), unlike the cache consumers.
/// </summary>
public sealed class GrantWithdrawnConsumer(RefreshTokenStore refreshTokens) : IConsumer<ConsentRevoked>, IConsumer<UserDeleted>
{
    public Task Consume(ConsumeContext<ConsentRevoked> context) =>
        refreshTokens.RevokeFamiliesOfAsync(context.Message.UserSysId, context.Message.ClientId, "consent revoked", context.CancellationToken);

    public Task Consume(ConsumeContext<UserDeleted> context) =>
        refreshTokens.RevokeFamiliesOfAsync(context.Message.UserSysId, null, "user deleted", context.CancellationToken);
}
