using Microsoft.Extensions.Configuration;
using Npgsql;
using OAuthAspire.Directory.Users;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Directory.Tests;

/// <summary>
/// The failed-password counter's key: one per typed name whatever its case, a keyed hash that
/// neither holds the name nor matches the hash the edge writes into the audit trail for it.
/// </summary>
public sealed class LoginFailuresTests : IDisposable
{
    private const string HashKey = "login-failure-tests-audit-hash-key-0123456789";

    // Never opened: deriving keys touches no database.
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=directory;Database=directory");

    private LoginFailures Failures(string? key = HashKey) =>
        new(_dataSource, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [KeyedHash.ConfigKey] = key }).Build());

    public void Dispose() => _dataSource.Dispose();

    [Fact]
    public void ANameCountsAsOneWhateverItsCase() => Assert.Equal(Failures().KeyOf("Ada.Lovelace"), Failures().KeyOf("ada.LOVELACE"));

    [Theory]
    [InlineData("ada.lovelace2")]
    [InlineData("ada.lovelace ")]
    [InlineData("ada")]
    public void OtherNamesCountApart(string other) => Assert.NotEqual(Failures().KeyOf("ada.lovelace"), Failures().KeyOf(other));

    [Fact]
    public void TheKeyDependsOnTheSecretAndHoldsNothingOfTheName()
    {
        var key = Failures().KeyOf("hunter2-typed-as-a-name");

        Assert.NotEqual(key, Failures("another-audit-hash-key-of-enough-length-42").KeyOf("hunter2-typed-as-a-name"));
        Assert.Equal(32, key.Length);
        Assert.DoesNotContain("hunter2", System.Text.Encoding.UTF8.GetString(key), StringComparison.Ordinal);
    }

    [Fact]
    public void TheKeyIsNotTheHashTheEdgeAuditsForTheSameName()
    {
        var edge = new KeyedHash(HashKey, KeyedHash.RateLimitedUserPurpose);

        Assert.NotEqual(edge.Of("ada.lovelace"), Failures().KeyOf("ada.lovelace"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void WithoutAProperSecretTheServiceDoesNotStart(string? key) => Assert.Throws<InvalidOperationException>(() => Failures(key));
}
