using MassTransit;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// A withdrawn consent or a deleted user ends the refresh token families it backed (and their
/// access tokens); a withdrawn consent also every access token the client holds for the user. Runs on one replica per event (a shared queue), unlike the cache consumers.
/// </summary>
public sealed class GrantWithdrawnConsumer(RefreshTokenStore refreshTokens, RevocationStore revocations) : IConsumer<ConsentRevoked>, IConsumer<UserDeleted>
{
    /// <summary>The application is disconnected from the user: its refresh families end, and every access token it holds for them.</summary>
    public async Task Consume(ConsumeContext<ConsentRevoked> context)
    {
        await refreshTokens.RevokeFamiliesOfAsync(context.Message.UserSysId, context.Message.ClientId, "consent revoked", context.CancellationToken);
        await revocations.RevokeAllOfUserForClientAsync(context.Message.UserSysId, context.Message.ClientId, "consent revoked", context.CancellationToken);
    }

    public Task Consume(ConsumeContext<UserDeleted> context) =>
        refreshTokens.RevokeFamiliesOfAsync(context.Message.UserSysId, null, "user deleted", context.CancellationToken);
}
