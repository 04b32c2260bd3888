using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.ServiceDefaults.Audit;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.FederationTrust.Validation;

/// <summary>
/// The local user an external subject stands for: the trust's user field holding the token's user
/// claim. With automatic creation, an unknown subject becomes an active user with no password and
/// no roles (so it can reach APIs, never sign in here or administer anything).
/// </summary>
public sealed class UserMapping(IServiceProvider services, IAuditSink audit)
{
    public async Task<(User? User, string? Refusal)> ResolveAsync(TrustRecord trust, string claimValue, CancellationToken cancellationToken)
    {
        var directory = services.GetRequiredService<DirectoryClient>();
        var found = await directory.FindUserAsync(new FindUserRequest { Field = trust.UserField, Value = claimValue }, cancellationToken: cancellationToken);
        if (!found.Found && trust.AutoProvision)
        {
            found = await CreateAsync(directory, trust, claimValue, cancellationToken);
        }

        return found switch
        {
            { Found: false } => (null, $"no user with {trust.UserField} = the token's {trust.UserClaim}"),
            { User.Active: false } => (null, "the mapped user is inactive"),
            _ => (found.User, null),
        };
    }

    private async Task<UserReply> CreateAsync(DirectoryClient directory, TrustRecord trust, string claimValue, CancellationToken cancellationToken)
    {
        var request = new CreateUserRequest { UserName = claimValue, CreatedBy = $"trust:{trust.Name}" };
        if (trust.UserField == "email")
        {
            request.Email = claimValue;
        }

        try
        {
            var created = await directory.CreateUserAsync(request, cancellationToken: cancellationToken);
            await audit.WriteAsync(new UserAutoCreated(trust.Name, created.User.SysId, created.User.UserName)
            {
                Actor = new AuditActor(created.User.SysId, created.User.UserName, null),
            }, cancellationToken);
            return created;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.AlreadyExists or StatusCode.InvalidArgument)
        {
            // Created meanwhile by a concurrent first call, or not a valid user name: look once more.
            return await directory.FindUserAsync(new FindUserRequest { Field = trust.UserField, Value = claimValue }, cancellationToken: cancellationToken);
        }
    }
}
