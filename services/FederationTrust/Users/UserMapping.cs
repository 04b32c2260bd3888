using Grpc.Core;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.Protocol.Federation;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.FederationTrust.Users;

/// <summary>
/// The local user an external subject stands for: the trust's user field holding the token's user
/// claim. A mutable claim names a user once: the subject (iss, sub) is then linked to it, later
/// tokens of the subject map to the linked user whatever the claim says, and no other subject can
/// take it (<see cref="FederatedUsers"/>). The user must be active and, unless the trust allows
/// it, hold no administrative role. With automatic creation, an unknown subject becomes an active
/// user with no password and no roles: it can reach APIs and sign in through the provider (never
/// with a password here), and administers nothing.
/// </summary>
public sealed class UserMapping(IServiceProvider services, TrustStore store, IAuditSink audit)
{
    /// <param name="signIn">
    /// A sign-in on our login page, not a token: an existing user is found by a link a sign-in made or
    /// by a stable claim only (<see cref="FederatedUsers.SignInLookup"/>), never one linked to another
    /// trust's subject; automatic creation never falls back to an existing account of the same name;
    /// and the subject is always linked to its user, stable claim or not.
    /// </param>
    public async Task<(User? User, string? Refusal)> ResolveAsync(TrustRecord trust, string issuer, string subject, string claimValue,
        CancellationToken cancellationToken, bool signIn = false)
    {
        var settings = trust.Settings;
        var linking = signIn || FederatedUsers.LinksBySubject(settings);
        var link = linking ? await store.LinkOfAsync(trust.Id, issuer, subject, cancellationToken) : null;
        if (signIn && link is { SignInMayFollow: false })
        {
            return (null, "the subject was linked by an API token naming an existing user by its claim; a sign-in never takes such a link");
        }

        var lookup = signIn
            ? FederatedUsers.SignInLookup(settings, link?.UserSysId, link is not null, claimValue)
            : FederatedUsers.Lookup(settings, link?.UserSysId, claimValue);
        var directory = services.GetRequiredService<DirectoryClient>();
        var found = lookup is var (field, value)
            ? await directory.FindUserAsync(new FindUserRequest { Field = field, Value = value }, cancellationToken: cancellationToken)
            : new UserReply { Found = false };
        var created = false;
        if (!found.Found && link is null && trust.AutoProvision)
        {
            found = await CreateAsync(directory, trust, claimValue, takeExisting: !signIn, cancellationToken);
            created = found.Found;
        }

        if (!found.Found)
        {
            return (null, link is not null ? "the linked user no longer exists"
                : lookup is null ? $"no user is linked to this subject, and a sign-in never takes an existing account by its {trust.UserClaim}"
                : $"no user with {trust.UserField} = the token's {trust.UserClaim}");
        }

        var user = found.User;
        if (FederatedUsers.Refusal(settings, user.Active, user.Roles, AdminApi.AdminRoles) is { } refusal)
        {
            return (null, refusal);
        }

        if (signIn && link is null && !created && await store.LinkedElsewhereAsync(trust.Id, user.SysId, cancellationToken))
        {
            return (null, $"the user the {trust.UserClaim} names is linked to a subject of another trust");
        }

        var linkedBy = created ? SubjectLink.ByCreation : signIn ? SubjectLink.BySignIn : SubjectLink.ByToken;
        return link is null && linking && await LinkAsync(trust, issuer, subject, user, linkedBy, cancellationToken)
            is { } linkRefusal
            ? (null, linkRefusal)
            : (user, null);
    }

    /// <summary>Links the subject to the user its claim named, audited with the link; null when linked.</summary>
    private async Task<string?> LinkAsync(TrustRecord trust, string issuer, string subject, User user, string linkedBy, CancellationToken cancellationToken)
    {
        var linked = await store.DataSource.InTransactionAsync(async tx =>
        {
            if (!await TrustStore.TryLinkAsync(tx, trust.Id, issuer, subject, user.SysId, linkedBy, cancellationToken))
            {
                return false;
            }

            await audit.WriteAsync(tx, new ExternalSubjectLinked(trust.Name, issuer, subject, user.SysId, user.UserName)
            {
                Actor = new AuditActor(user.SysId, user.UserName, null),
            }, cancellationToken);
            return true;
        }, cancellationToken);

        // Refused by the one-subject-per-user rule, or a concurrent first call linked the subject.
        return linked ? null : FederatedUsers.LinkRefusal(trust.Settings, user.SysId, (await store.LinkOfAsync(trust.Id, issuer, subject, cancellationToken))?.UserSysId);
    }

    /// <param name="takeExisting">A user of that name created meanwhile (by a concurrent first call) is the one; never for a sign-in, where it may be anyone's.</param>
    private async Task<UserReply> CreateAsync(DirectoryClient directory, TrustRecord trust, string claimValue, bool takeExisting, CancellationToken cancellationToken)
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
        catch (RpcException e) when (e.StatusCode is StatusCode.AlreadyExists or StatusCode.InvalidArgument && !takeExisting)
        {
            return new UserReply { Found = false };
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.AlreadyExists or StatusCode.InvalidArgument)
        {
            // Created meanwhile by a concurrent first call, or not a valid user name: look once more.
            return await directory.FindUserAsync(new FindUserRequest { Field = trust.UserField, Value = claimValue }, cancellationToken: cancellationToken);
        }
    }
}
