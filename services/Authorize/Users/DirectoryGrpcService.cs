using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.Authorize.Users;

/// <summary>The Directory contract: users for the other services.</summary>
public sealed class DirectoryGrpcService(UserStore users, PasswordVerifier verifier, Consents.ConsentStore consents, IAuditSink audit)
    : Contracts.Grpc.Directory.Directory.DirectoryBase
{
    [AllowedCallers(ServiceNames.Token)]
    public override async Task<UserReply> GetUser(GetUserRequest request, ServerCallContext context) =>
        await ReplyAsync(await users.FindAsync("sys_id", request.SysId, context.CancellationToken), context.CancellationToken);

    [AllowedCallers(ServiceNames.ClientRegistry, ServiceNames.FederationTrust, ServiceNames.Token)]
    public override async Task<UserReply> FindUser(FindUserRequest request, ServerCallContext context)
    {
        if (!UserStore.Fields.Contains(request.Field))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "field must be user_name, email or sys_id"));
        }

        return await ReplyAsync(await users.FindAsync(request.Field, request.Value, context.CancellationToken), context.CancellationToken);
    }

    [AllowedCallers(ServiceNames.Token)]
    public override async Task<VerifyPasswordReply> VerifyPassword(VerifyPasswordRequest request, ServerCallContext context)
    {
        var check = await verifier.VerifyAsync(request.UserName, request.Password, context.CancellationToken);
        if (check.LockedNow)
        {
            await audit.WriteAsync(new AccountLocked(check.User!.SysId, check.User.UserName, check.LockedUntil!.Value)
            {
                Actor = new AuditActor(check.User.SysId, check.User.UserName, NullIfEmpty(request.ClientId)),
                Outcome = AuditOutcome.Failure,
                Reason = "too many failed passwords (password grant)",
                RemoteAddress = NullIfEmpty(request.RemoteAddress),
            }, context.CancellationToken);
        }

        return new VerifyPasswordReply
        {
            Ok = check.Ok,
            User = check.Ok ? ToMessage(check.User!, lockedOut: false) : null,
            Failure = check.Failure switch
            {
                PasswordFailure.None => "",
                PasswordFailure.LockedOut => "locked_out",
                PasswordFailure.Inactive => "inactive",
                _ => "invalid_credentials",
            },
        };
    }

    /// <summary>An active user with no password and no roles (automatic provisioning).</summary>
    [AllowedCallers(ServiceNames.FederationTrust)]
    public override async Task<UserReply> CreateUser(CreateUserRequest request, ServerCallContext context)
    {
        var validation = UserRules.Check(new UserDto(null, request.UserName, NullIfEmpty(request.Email), request.FirstName, request.LastName, [], true, null), false);
        if (!validation.IsValid)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, string.Join("; ", validation.Errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"))));
        }

        var user = new UserRecord { SysId = UserRules.NewSysId(), UserName = request.UserName, Email = NullIfEmpty(request.Email), FirstName = request.FirstName, LastName = request.LastName, PasswordHash = null, Roles = [], Active = true };
        try
        {
            await users.DataSource.InTransactionAsync(async tx =>
            {
                await UserStore.InsertAsync(tx, user, context.CancellationToken);
                await audit.WriteAsync(tx, new UserCreated(user.SysId, user.UserName, [], true) { Actor = new AuditActor(null, request.CreatedBy, null) },
                    context.CancellationToken);
            }, context.CancellationToken);
        }
        catch (Npgsql.PostgresException e) when (e.IsUniqueViolation(out _))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, "a user with this user name or email exists"));
        }

        return await ReplyAsync(user, context.CancellationToken);
    }

    [AllowedCallers] // No service calls it: refused to every caller until one needs it.
    public override async Task<CheckConsentReply> CheckConsent(CheckConsentRequest request, ServerCallContext context) =>
        new() { Granted = await consents.CoversAsync(request.UserSysId, request.ClientId, request.Scopes, context.CancellationToken) };

    private async Task<UserReply> ReplyAsync(UserRecord? user, CancellationToken cancellationToken) => user is null
        ? new UserReply { Found = false }
        : new UserReply { Found = true, User = ToMessage(user, await verifier.IsLockedOutAsync(user.UserName, cancellationToken)) };

    private static User ToMessage(UserRecord user, bool lockedOut)
    {
        var message = new User
        {
            SysId = user.SysId,
            UserName = user.UserName,
            Email = user.Email ?? "",
            FirstName = user.FirstName,
            LastName = user.LastName,
            Active = user.Active,
            LockedOut = lockedOut,
        };
        message.Roles.AddRange(user.Roles);
        return message;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
