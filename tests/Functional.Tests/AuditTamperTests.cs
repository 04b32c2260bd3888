using System.Globalization;
using System.Security.Cryptography;
using Aspire.Hosting.Testing;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// Tamper evidence end to end: events written through the real outbox of scope-policy (its relay
/// publishes them to the real stream), changed in the database before the relay could send them,
/// are named by <c>tools/audit verify</c>; events left alone verify intact.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditTamperTests(SystemFixture system)
{
    private int _lastExit = -1;

    [Fact]
    public async Task AnEventDeletedAndAnotherAlteredInTheOutboxAreNamedByVerify()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (service, keys, chains) = Writer("tamper");
        var written = Enumerable.Range(1, 4).Select(i => new ScopeCreated($"tamper.{i}.{Guid.NewGuid():N}", "as written")).ToArray();

        await using (var db = await system.DatabaseAsync("scopepolicydb"))
        {
            var sink = new OutboxAuditSink(db, chains);
            await using var connection = await db.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            // Holds the relay off until the rows are changed, as an attacker with the database would.
            await Execute(connection, transaction, "LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE");
            await sink.WriteAsync(transaction, written);
            await Execute(connection, transaction, $"DELETE FROM outbox WHERE event_id = '{written[1].EventId}'");
            await Execute(connection, transaction, "UPDATE outbox SET body = convert_to(replace(convert_from(body, 'UTF8'), 'as written', 'rewritten!'), 'UTF8') "
                + $"WHERE event_id = '{written[2].EventId}'");
            await transaction.CommitAsync();
        }

        var report = await VerifyAsync(service, keys, since, "positions 1..4");
        Assert.Contains("BROKEN, first gap: positions 2..2 missing", report);
        Assert.Equal(4, _lastExit);
        Assert.Contains("(and 2 more)", report);
    }

    [Fact]
    public async Task UntouchedEventsVerifyIntactWithTheirCheckpoint()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (service, keys, chains) = Writer("intact");
        var written = Enumerable.Range(1, 3).Select(i => new ScopeCreated($"intact.{i}.{Guid.NewGuid():N}", "left alone")).ToArray();
        await using (var db = await system.DatabaseAsync("scopepolicydb"))
        {
            var sink = new OutboxAuditSink(db, chains);
            foreach (var e in written)
            {
                await sink.WriteAsync(e);
            }

            await chains.CheckpointAsync(db, final: true, CancellationToken.None);
        }

        var report = await VerifyAsync(service, keys, since, "positions 1..4");
        Assert.Contains(": positions 1..4, 1 signed checkpoint(s), ended: intact", report);
    }

    [Fact]
    public async Task WritesAfterARolledBackOneKeepTheChainWhole()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var (service, keys, chains) = Writer("rollback");
        ScopeCreated Event(int i) => new($"rollback.{i}.{Guid.NewGuid():N}", i == 2 ? "rolled back" : "kept");
        await using (var db = await system.DatabaseAsync("scopepolicydb"))
        {
            var sink = new OutboxAuditSink(db, chains);
            await sink.WriteAsync(Event(1));
            // One connection, so its chain sees the rollback and the writes after it.
            await using var connection = await db.OpenConnectionAsync();
            for (var i = 2; i <= 5; i++)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await sink.WriteAsync(transaction, Event(i));
                if (i == 2)
                {
                    await transaction.RollbackAsync();
                }
                else
                {
                    await transaction.CommitAsync();
                }
            }

            await sink.WriteAsync(Event(6));
            await chains.CheckpointAsync(db, final: true, CancellationToken.None);
        }

        // The connection's chain: 3, 4 and 5 at positions 1 to 3, then its final checkpoint.
        var report = await VerifyAsync(service, keys, since, "positions 1..4, 1 signed checkpoint(s), ended");
        Assert.DoesNotContain("BROKEN", report);
        Assert.Matches(@"^scope-policy-rollback-[0-9a-f]+: 7 event\(s\), 2 chain\(s\), intact", report);
    }

    /// <summary>
    /// Verifies the whole stream as an auditor would: the audit keys' public halves pinned to a file
    /// with <c>keys</c>, then <c>verify --keys</c> with the services' audit keys for the MACs. Returns
    /// <paramref name="service"/>'s lines of the report.
    /// </summary>
    public static async Task<string> VerifyServiceAsync(SystemFixture system, string service)
    {
        var keys = new List<string>();
        foreach (var name in ServiceDefaults.ServiceNames.All)
        {
            keys.Add($"{name}={await system.ParameterAsync($"audit-key-{name}")}");
        }

        var environment = new Dictionary<string, string> { ["OAUTHASPIRE_AUDIT_KEYS"] = string.Join(';', keys) };
        var (exit, jwks, errors) = await AuditStreamTests.RunToolAsync(environment, "keys");
        Assert.True(exit == 0, errors);
        Assert.DoesNotContain("\"d\"", jwks, StringComparison.Ordinal);
        var pinned = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(pinned, jwks);
            (_, var report, errors) = await AuditStreamTests.RunToolAsync(environment, "verify", "--connection",
                (await system.App.GetConnectionStringAsync("rabbitmq"))!, "--keys", pinned, "--idle-exit", "3");
            var mine = report.Split('\n').SkipWhile(l => !l.StartsWith(service + ":", StringComparison.Ordinal))
                .TakeWhile((l, i) => i == 0 || l.StartsWith("  ", StringComparison.Ordinal));
            return string.Join('\n', mine) + errors;
        }
        finally
        {
            File.Delete(pinned);
        }
    }

    /// <summary>A writer of its own (service name, audit key) in scope-policy's outbox.</summary>
    private static (string Service, Dictionary<string, string> Keys, AuditChains Chains) Writer(string purpose)
    {
        var service = $"scope-policy-{purpose}-{Guid.NewGuid():N}"[..32].TrimEnd('-');
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privateKey = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
        // One chain, so that the test knows every position (a service spreads its writes over several).
        var chains = new AuditChains(service, "http://localhost", AuditKey.From(privateKey), new AuditChainOptions { Chains = 1 });
        return (service, new Dictionary<string, string> { ["OAUTHASPIRE_AUDIT_KEYS"] = $"{service}={privateKey}" }, chains);
    }

    /// <summary>Waits for the writer's events to reach the stream, then verifies it; the report's lines about this writer.</summary>
    private async Task<string> VerifyAsync(string service, Dictionary<string, string> keys, DateTimeOffset since, string expected)
    {
        var rabbit = (await system.App.GetConnectionStringAsync("rabbitmq"))!;
        var lines = "";
        await TestApi.EventuallyAsync(async () =>
        {
            (_lastExit, var output, var errors) = await AuditStreamTests.RunToolAsync(keys, "verify", "--connection", rabbit,
                "--since", since.ToString("O", CultureInfo.InvariantCulture), "--idle-exit", "2");
            lines = string.Join('\n', output.Split('\n').Where(l => l.Contains(service, StringComparison.Ordinal))) + errors;
            return lines.Contains(expected, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the writer's events on the stream");
        return lines;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }
}
