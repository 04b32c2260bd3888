using Google.Protobuf;
using OAuthAspire.Contracts.Grpc.Directory;
using OAuthAspire.Directory.Users;

namespace OAuthAspire.Directory.Tests;

/// <summary>
/// The users and counts authorize hands over arrive as they were stored: empty message fields are
/// the absent values they stood for, and times (microseconds since 1970) come back exact and in UTC,
/// as PostgreSQL's timestamptz columns need them.
/// </summary>
public class UserImportTests
{
    private static readonly DateTime Created = new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Utc).AddTicks(1_234_560);
    private static readonly DateTime Updated = new DateTime(2025, 7, 1, 8, 30, 0, DateTimeKind.Utc).AddTicks(10);

    private static long Microseconds(DateTime time) => (time - DateTime.UnixEpoch).Ticks / 10;

    [Fact]
    public void AUserComesOverWithItsHashRolesStateAndExactTimes()
    {
        var message = new ImportedUser
        {
            SysId = "6f1c0e5e0f2a4c1b9d3e8a7b6c5d4e3f", UserName = "ada", Email = "ada@example.com", FirstName = "Ada", LastName = "Lovelace",
            PasswordHash = "AQAAAAIAAYagAAAAE", Active = false, CreatedAt = Microseconds(Created), UpdatedAt = Microseconds(Updated),
        };
        message.Roles.AddRange(["oauth_admin", "itil"]);

        var (user, createdAt, updatedAt) = UserImport.FromMessage(message);

        Assert.Equal("6f1c0e5e0f2a4c1b9d3e8a7b6c5d4e3f", user.SysId);
        Assert.Equal("ada", user.UserName);
        Assert.Equal("ada@example.com", user.Email);
        Assert.Equal(("Ada", "Lovelace"), (user.FirstName, user.LastName));
        Assert.Equal("AQAAAAIAAYagAAAAE", user.PasswordHash);
        Assert.Equal(new[] { "oauth_admin", "itil" }, user.Roles);
        Assert.False(user.Active);
        Assert.Equal(Created, createdAt);
        Assert.Equal(Updated, updatedAt);
        Assert.Equal(DateTimeKind.Utc, createdAt.Kind);
        Assert.Equal(DateTimeKind.Utc, updatedAt.Kind);
    }

    [Fact]
    public void EmptyEmailAndPasswordHashAreAbsentNotEmpty()
    {
        var (user, _, _) = UserImport.FromMessage(new ImportedUser { SysId = "s1", UserName = "federated.user", Active = true });

        Assert.Null(user.Email);
        Assert.Null(user.PasswordHash);
        Assert.Empty(user.Roles);
    }

    [Fact]
    public void AFailureCountComesOverUnderTheSameKeyWithItsLock()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var message = new ImportedLoginFailure
        {
            NameKey = ByteString.CopyFrom(key), Failures = 4, WindowStarted = Microseconds(Created), LockedUntil = Microseconds(Updated),
        };

        var failure = UserImport.FromMessage(message);

        Assert.Equal(key, failure.NameKey);
        Assert.Equal(4, failure.Failures);
        Assert.Equal(Created, failure.WindowStarted);
        Assert.Equal(Updated, failure.LockedUntil);
        Assert.Equal(DateTimeKind.Utc, failure.LockedUntil!.Value.Kind);
    }

    [Fact]
    public void ALockedUntilOfZeroIsNoLock() =>
        Assert.Null(UserImport.FromMessage(new ImportedLoginFailure { NameKey = ByteString.CopyFrom(new byte[] { 1, 2, 3 }), Failures = 1 }).LockedUntil);
}
