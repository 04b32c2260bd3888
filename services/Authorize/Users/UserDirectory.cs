using OAuthAspire.Contracts.Grpc.Directory;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.Authorize.Users;

/// <summary>
/// The users, from the directory service. Asked on every use, never cached: a user deactivated or
/// deleted there is refused at the next step of a sign-in, as when the users lived in this service.
/// </summary>
public sealed class UserDirectory(IServiceProvider services)
{
    public async Task<User?> GetAsync(string sysId, CancellationToken cancellationToken)
    {
        var reply = await Client.GetUserAsync(new GetUserRequest { SysId = sysId }, cancellationToken: cancellationToken);
        return reply.Found ? reply.User : null;
    }

    public async Task<User?> FindByNameAsync(string userName, CancellationToken cancellationToken)
    {
        var reply = await Client.FindUserAsync(new FindUserRequest { Field = "user_name", Value = userName }, cancellationToken: cancellationToken);
        return reply.Found ? reply.User : null;
    }

    /// <summary>A password typed into the sign-in page: counted towards the name's lockout, a lock audited by the directory.</summary>
    public async Task<VerifyPasswordReply> VerifyAsync(string userName, string password, string clientId, string? remoteAddress,
        CancellationToken cancellationToken) =>
        await Client.VerifyPasswordAsync(new VerifyPasswordRequest
        {
            UserName = userName,
            Password = password,
            ClientId = clientId,
            RemoteAddress = remoteAddress ?? "",
            SignInPage = true,
        }, cancellationToken: cancellationToken);

    /// <summary>The signed-in user's own change (the account page): the current password counted towards lockout like a sign-in.</summary>
    public async Task<ChangePasswordReply> ChangePasswordAsync(string userSysId, string currentPassword, string newPassword, string? remoteAddress,
        CancellationToken cancellationToken) =>
        await Client.ChangePasswordAsync(new ChangePasswordRequest
        {
            UserSysId = userSysId,
            CurrentPassword = currentPassword,
            NewPassword = newPassword,
            RemoteAddress = remoteAddress ?? "",
        }, cancellationToken: cancellationToken);

    private DirectoryClient Client => services.GetRequiredService<DirectoryClient>();
}
