using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.FederationTrust.Trusts;
using OAuthAspire.FederationTrust.Users;
using OAuthAspire.FederationTrust.Validation;
using OAuthAspire.Protocol.Federation;
using DirectoryClient = OAuthAspire.Contracts.Grpc.Directory.Directory.DirectoryClient;

namespace OAuthAspire.FederationTrust.Tests;

/// <summary>
/// Which local user a token by a stable claim (sub, oid) stands for: the user whose field the trust
/// names holds the claim, active and, unless the trust allows it, without an administrative role;
/// with automatic creation, an unknown subject becomes a user with no password and no roles. A stable
/// claim is the provider's subject already, so no link is read or written (the database is never opened here).
/// </summary>
public sealed class UserMappingTests : IDisposable
{
    private const string Subject = "00u1a2b3c4d5e6f7g8h9";

    private readonly CannedCalls _directory = new();
    private readonly FakeAuditSink _audit = new();
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=federation-trust;Database=federation-trust");
    private readonly UserMapping _mapping;
    private readonly Dictionary<(string Field, string Value), User> _users = [];

    public UserMappingTests()
    {
        _directory.On<FindUserRequest, UserReply>("FindUser", request =>
            _users.TryGetValue((request.Field, request.Value), out var user) ? new UserReply { Found = true, User = user } : new UserReply { Found = false });
        var services = new ServiceCollection().AddSingleton(new DirectoryClient(_directory)).BuildServiceProvider();
        _mapping = new UserMapping(services, new TrustStore(_dataSource), _audit);
    }

    public void Dispose() => _dataSource.Dispose();

    private static TrustRecord Trust(string userField = "user_name", bool autoProvision = false, bool allowPrivileged = false) => new()
    {
        Id = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7"), Name = "corp-idp", Issuer = "https://login.corp.example", UserClaim = "sub",
        UserField = userField, AutoProvision = autoProvision, AllowPrivilegedUsers = allowPrivileged, Active = true,
        ClientIds = ["app-1"], Algorithms = ["RS256"],
    };

    private User Known(string field, string value, bool active = true, params string[] roles)
    {
        var user = new User { SysId = $"sys-{value}", UserName = value, Active = active };
        user.Roles.AddRange(roles);
        _users[(field, value)] = user;
        return user;
    }

    private Task<(User? User, string? Refusal)> ResolveAsync(TrustRecord trust, string claim = Subject) =>
        _mapping.ResolveAsync(trust, "https://login.corp.example", Subject, claim, CancellationToken.None);

    [Fact]
    public async Task TheUserWhoseFieldHoldsTheClaimIsTheOne()
    {
        var known = Known("email", "ada@corp.example", true, "itil");

        var (user, refusal) = await ResolveAsync(Trust(userField: "email"), "ada@corp.example");

        Assert.Null(refusal);
        Assert.Equal(known.SysId, user?.SysId);
        var asked = Assert.Single(_directory.Requests<FindUserRequest>("FindUser"));
        Assert.Equal(("email", "ada@corp.example"), (asked.Field, asked.Value));
        Assert.Empty(_directory.Requests<CreateUserRequest>("CreateUser"));
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AnUnknownSubjectIsRefusedWithoutAutomaticCreation()
    {
        var (user, refusal) = await ResolveAsync(Trust());

        Assert.Null(user);
        Assert.Equal("no user with user_name = the token's sub", refusal);
        Assert.Empty(_directory.Requests<CreateUserRequest>("CreateUser"));
    }

    [Fact]
    public async Task WithAutomaticCreationAnUnknownSubjectBecomesAUserWithoutPasswordOrRoles()
    {
        _directory.On<CreateUserRequest, UserReply>("CreateUser", request =>
            new UserReply { Found = true, User = new User { SysId = "sys-new", UserName = request.UserName, Active = true } });

        var (user, refusal) = await ResolveAsync(Trust(autoProvision: true));

        Assert.Null(refusal);
        Assert.Equal(("sys-new", Subject), (user?.SysId, user?.UserName));
        var created = Assert.Single(_directory.Requests<CreateUserRequest>("CreateUser"));
        Assert.Equal(Subject, created.UserName);
        Assert.Empty(created.Email);
        Assert.Equal("trust:corp-idp", created.CreatedBy);
        var audited = Assert.IsType<UserAutoCreated>(Assert.Single(_audit.Events));
        Assert.Equal(("corp-idp", "sys-new", Subject), (audited.Trust, audited.UserSysId, audited.UserName));
    }

    [Fact]
    public async Task AUserCreatedByEmailGetsItAsItsAddress()
    {
        _directory.On<CreateUserRequest, UserReply>("CreateUser", request =>
            new UserReply { Found = true, User = new User { SysId = "sys-new", UserName = request.UserName, Email = request.Email, Active = true } });

        await ResolveAsync(Trust(userField: "email", autoProvision: true), "grace@corp.example");

        Assert.Equal("grace@corp.example", Assert.Single(_directory.Requests<CreateUserRequest>("CreateUser")).Email);
    }

    [Fact]
    public async Task ACreationThatLostARaceFindsTheUserTheOtherCallCreated()
    {
        _directory.On<CreateUserRequest, UserReply>("CreateUser", _ =>
        {
            // A concurrent first call of the same subject created it meanwhile.
            Known("user_name", Subject);
            throw new RpcException(new Status(StatusCode.AlreadyExists, "user exists"));
        });

        var (user, refusal) = await ResolveAsync(Trust(autoProvision: true));

        Assert.Null(refusal);
        Assert.Equal($"sys-{Subject}", user?.SysId);
        Assert.Equal(2, _directory.Requests<FindUserRequest>("FindUser").Count);
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task AnInactiveUserIsRefused()
    {
        Known("user_name", Subject, active: false);

        var (user, refusal) = await ResolveAsync(Trust());

        Assert.Null(user);
        Assert.Equal(FederatedUsers.Inactive, refusal);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("oauth_admin")]
    [InlineData("mi_admin")]
    public async Task AnAdministratorIsRefusedUnlessTheTrustAllowsIt(string role)
    {
        Known("user_name", Subject, true, "itil", role);

        var (refused, refusal) = await ResolveAsync(Trust());
        var (allowed, _) = await ResolveAsync(Trust(allowPrivileged: true));

        Assert.Null(refused);
        Assert.Equal(FederatedUsers.Privileged, refusal);
        Assert.Equal($"sys-{Subject}", allowed?.SysId);
    }
}
