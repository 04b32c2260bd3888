using Grpc.Core;
using OAuthAspire.Contracts.Grpc.TokenIssuer;

namespace OAuthAspire.Token.Issuance;

/// <summary>The TokenIssuer contract. Code and implicit issuance arrive with the authorization code issue.</summary>
public sealed class TokenIssuerGrpcService(RevocationStore revocations) : Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerBase
{
    /// <summary>Every revoked access token not yet expired: the edge's snapshot when it starts.</summary>
    public override async Task<ListRevocationsReply> ListRevocations(ListRevocationsRequest request, ServerCallContext context)
    {
        var reply = new ListRevocationsReply();
        foreach (var (jti, expiresAt) in await revocations.CurrentAsync(context.CancellationToken))
        {
            reply.Revocations.Add(new Revocation { Jti = jti, ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc)).ToUnixTimeSeconds() });
        }

        return reply;
    }
}
