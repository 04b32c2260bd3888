using Grpc.Core;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Grpc;
using OAuthAspire.Protocol.Device;
using OAuthAspire.Token.Assertions;
using OAuthAspire.Token.Device;
using OAuthAspire.Token.Par;

using OAuthAspire.Token.Clients;

namespace OAuthAspire.Token.Issuance;

/// <summary>The TokenIssuer contract: codes for the authorize service, the revocation snapshot for the edge.</summary>
public sealed class TokenIssuerGrpcService(RevocationStore revocations, CutOffStore cutOffs, AuthorizationCodes codes, ImplicitIssuance implicitTokens,
    PushedRequests pushedRequests, RequestObjects requestObjects, RegisteredClients clients, DeviceAuthorizations devices, ClientLastUse lastUse)
    : Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerBase
{
    /// <summary>The legacy implicit flow's tokens, for the authorize service to put in the fragment.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override Task<IssueImplicitTokensReply> IssueImplicitTokens(IssueImplicitTokensRequest request, ServerCallContext context) =>
        implicitTokens.IssueAsync(request, context.CancellationToken);

    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<CreateAuthorizationCodeReply> CreateAuthorizationCode(CreateAuthorizationCodeRequest request, ServerCallContext context)
    {
        if (request.ClientId.Length == 0 || request.UserSysId.Length == 0 || request.RedirectUri.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "client_id, user_sys_id and redirect_uri are required"));
        }

        var code = await codes.CreateAsync(request, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "The pushed authorization request is spent or expired."));
        return new CreateAuthorizationCodeReply { Code = code, ExpiresIn = (int)AuthorizationCodes.Lifetime.TotalSeconds };
    }

    /// <summary>A pushed authorization request's parameters, for the authorization endpoint (RFC 9126 §4).</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<GetPushedRequestReply> GetPushedRequest(GetPushedRequestRequest request, ServerCallContext context)
    {
        var reply = new GetPushedRequestReply();
        if (await pushedRequests.ClaimAsync(request.RequestUri, request.ClientId, context.CancellationToken) is { } pushed)
        {
            reply.Found = true;
            reply.Signed = pushed.Signed;
            foreach (var (name, value) in pushed.Parameters)
            {
                reply.Parameters[name] = value;
            }
        }

        return reply;
    }

    /// <summary>A request object sent to the authorization endpoint (RFC 9101), checked with the client's keys.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<VerifyRequestObjectReply> VerifyRequestObject(VerifyRequestObjectRequest request, ServerCallContext context)
    {
        var fapi2 = (await clients.FindAsync(request.ClientId, context.CancellationToken))?.Fapi2 == true;
        var result = await requestObjects.VerifyAsync(request.ClientId, request.Request, spend: true, fapi2, context.CancellationToken);
        var reply = new VerifyRequestObjectReply { Valid = result.IsValid, Problem = result.Problem ?? "" };
        foreach (var (name, value) in result.Parameters?.Values ?? [])
        {
            reply.Parameters[name] = value;
        }

        return reply;
    }

    /// <summary>A live, unanswered device request (RFC 8628 §3.3), for the verification page once the user typed its code.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<FindDeviceAuthorizationReply> FindDeviceAuthorization(FindDeviceAuthorizationRequest request, ServerCallContext context)
    {
        var reply = new FindDeviceAuthorizationReply();
        if (UserCodes.Normalize(request.UserCode) is { } userCode && await devices.FindAsync(userCode, context.CancellationToken) is { } found)
        {
            reply.Found = true;
            reply.DeviceId = found.DeviceId;
            reply.ClientId = found.ClientId;
            reply.Scopes.Add(found.Scopes);
            reply.Resources.Add(found.Resources);
            reply.CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(found.CreatedAt, DateTimeKind.Utc)).ToUnixTimeSeconds();
            reply.ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(found.ExpiresAt, DateTimeKind.Utc)).ToUnixTimeSeconds();
            reply.DeviceAddress = found.DeviceAddress ?? "";
        }

        return reply;
    }

    /// <summary>The signed-in user's answer from the verification page; written once, while the request is live.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<DecideDeviceAuthorizationReply> DecideDeviceAuthorization(DecideDeviceAuthorizationRequest request, ServerCallContext context)
    {
        if (UserCodes.Normalize(request.UserCode) is not { } userCode || request.DeviceId.Length == 0 || request.UserSysId.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "device_id, a user code and user_sys_id are required"));
        }

        var decided = await devices.DecideAsync(request.DeviceId, userCode, request.Approve, request.UserSysId, Empty(request.UserName), Empty(request.SessionId),
            request.AuthTime == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(request.AuthTime).UtcDateTime, [.. request.Amr], Empty(request.RemoteAddress),
            context.CancellationToken);
        return new DecideDeviceAuthorizationReply { Decided = decided };
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;

    /// <summary>Every revoked access token not yet expired: the edge's snapshot when it starts.</summary>
    [AllowedCallers(ServiceNames.Edge)]
    public override async Task<ListRevocationsReply> ListRevocations(ListRevocationsRequest request, ServerCallContext context)
    {
        var reply = new ListRevocationsReply();
        foreach (var (jti, expiresAt) in await revocations.CurrentAsync(context.CancellationToken))
        {
            reply.Revocations.Add(new Revocation { Jti = jti, ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc)).ToUnixTimeSeconds() });
        }

        foreach (var (kind, id, issuedBefore) in await cutOffs.CurrentAsync(context.CancellationToken))
        {
            reply.CutOffs.Add(new CutOff
            {
                SubjectKind = kind, SubjectId = id, IssuedBefore = new DateTimeOffset(DateTime.SpecifyKind(issuedBefore, DateTimeKind.Utc)).ToUnixTimeSeconds(),
            });
        }

        return reply;
    }

    /// <summary>The account page's "last used" of the applications a user connected.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<ListClientUseReply> ListClientUse(ListClientUseRequest request, ServerCallContext context)
    {
        var reply = new ListClientUseReply();
        foreach (var (clientId, lastUsedAt) in await lastUse.OfUserAsync(request.UserSysId, context.CancellationToken))
        {
            reply.Uses.Add(new ClientUse { ClientId = clientId, LastUsedAt = lastUsedAt.ToUnixTimeSeconds() });
        }

        return reply;
    }
}
