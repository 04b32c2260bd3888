using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.ServiceDefaults;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Grpc;

namespace OAuthAspire.Directory.Users;

/// <summary>The Directory contract: users for the other services.</summary>
public sealed class DirectoryGrpcService(UserStore users, PasswordVerifier verifier, UserImport import, PasswordChanges passwordChanges, IAuditSink audit)
    : Contracts.Grpc.Directory.Directory.DirectoryBase
{
    [AllowedCallers(ServiceNames.Authorize, ServiceNames.Token)]
    public override async Task<UserReply> GetUser(GetUserRequest request, ServerCallContext context) =>
        await ReplyAsync(await users.FindAsync("sys_id", request.SysId, context.CancellationToken), context.CancellationToken);

    [AllowedCallers(ServiceNames.Authorize, ServiceNames.ClientRegistry, ServiceNames.FederationTrust, ServiceNames.Token)]
    public override async Task<UserReply> FindUser(FindUserRequest request, ServerCallContext context)
    {
        if (!UserStore.Fields.Contains(request.Field))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "field must be user_name, email or sys_id"));
        }

        return await ReplyAsync(await users.FindAsync(request.Field, request.Value, context.CancellationToken), context.CancellationToken);
    }

    /// <summary>The password grant (token) and the sign-in page (authorize).</summary>
    [AllowedCallers(ServiceNames.Authorize, ServiceNames.Token)]
    public override async Task<VerifyPasswordReply> VerifyPassword(VerifyPasswordRequest request, ServerCallContext context)
    {
        var check = await verifier.VerifyAsync(request.UserName, request.Password, context.CancellationToken);
        if (check.LockedNow)
        {
            await audit.WriteAsync(new AccountLocked(check.User!.SysId, check.User.UserName, check.LockedUntil!.Value)
            {
                Actor = new AuditActor(check.User.SysId, check.User.UserName, NullIfEmpty(request.ClientId)),
                Outcome = AuditOutcome.Failure,
                Reason = request.SignInPage ? "too many failed passwords" : "too many failed passwords (password grant)",
                RemoteAddress = NullIfEmpty(request.RemoteAddress),
            }, context.CancellationToken);
        }

        // The sign-in page's LoginFailed names a real account; the password grant's audit never does.
        var user = check.Ok || request.SignInPage ? check.User : null;
        return new VerifyPasswordReply
        {
            Ok = check.Ok,
            User = user is null ? null : ToMessage(user, lockedOut: check.Failure == PasswordFailure.LockedOut),
            Failure = Failure(check.Failure),
        };
    }

    /// <summary>The account page (authorize): the signed-in user's own change, the current password checked as at sign-in.</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<ChangePasswordReply> ChangePassword(ChangePasswordRequest request, ServerCallContext context)
    {
        var user = await users.FindAsync("sys_id", request.UserSysId, context.CancellationToken);
        if (user is null)
        {
            return new ChangePasswordReply { Failure = "invalid_credentials" };
        }

        // The new password's rules first: a rule broken costs no guess of the current one.
        var rules = UserRules.CheckPassword(new Validation(), request.NewPassword, required: true);
        if (!rules.IsValid)
        {
            return new ChangePasswordReply { Failure = "invalid_password", Detail = "The new password " + string.Join("; ", rules.Errors.SelectMany(e => e.Value)) + "." };
        }

        var remote = NullIfEmpty(request.RemoteAddress);
        var check = await verifier.VerifyAsync(user.UserName, request.CurrentPassword, context.CancellationToken);
        if (check.LockedNow)
        {
            await audit.WriteAsync(new AccountLocked(user.SysId, user.UserName, check.LockedUntil!.Value)
            {
                Actor = new AuditActor(user.SysId, user.UserName, null),
                Outcome = AuditOutcome.Failure,
                Reason = "too many failed passwords (password change)",
                RemoteAddress = remote,
            }, context.CancellationToken);
        }

        if (!check.Ok)
        {
            return new ChangePasswordReply { Failure = Failure(check.Failure) };
        }

        // Deactivated while the passwords were being checked: nothing is changed.
        return await passwordChanges.SetAsync(check.User!, request.NewPassword, new AuditActor(user.SysId, user.UserName, null), remote, onlyIfActive: true,
            context.CancellationToken)
            ? new ChangePasswordReply { Ok = true }
            : new ChangePasswordReply { Failure = "inactive" };
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

    /// <summary>Authorize's hand-over of the users it held before this service existed (see <see cref="UserImport"/>).</summary>
    [AllowedCallers(ServiceNames.Authorize)]
    public override async Task<ImportUsersReply> ImportUsers(IAsyncStreamReader<ImportUsersRequest> requestStream, ServerCallContext context)
    {
        var handed = new List<LegacyUser>();
        var failures = new List<LegacyLoginFailure>();
        var bootstrapped = false;
        await foreach (var item in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (item.ItemCase)
            {
                case ImportUsersRequest.ItemOneofCase.User:
                    handed.Add(UserImport.FromMessage(item.User));
                    break;
                case ImportUsersRequest.ItemOneofCase.LoginFailure:
                    failures.Add(UserImport.FromMessage(item.LoginFailure));
                    break;
                case ImportUsersRequest.ItemOneofCase.Bootstrapped:
                    bootstrapped |= item.Bootstrapped;
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "an import item must be a user, a login failure or the bootstrap mark"));
            }
        }

        var result = await import.ImportAsync(new HandedOver(handed, failures, bootstrapped), context.CancellationToken);
        return new ImportUsersReply { Imported = result.Imported, Skipped = handed.Count - result.Imported, LoginFailures = result.LoginFailures };
    }

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

    private static string Failure(PasswordFailure failure) => failure switch
    {
        PasswordFailure.None => "",
        PasswordFailure.LockedOut => "locked_out",
        PasswordFailure.Inactive => "inactive",
        _ => "invalid_credentials",
    };

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
