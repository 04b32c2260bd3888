using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Npgsql;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Audit;

public sealed class AuditChainOptions
{
    /// <summary>Chains for events written on their own (each used by one writer at a time); every database connection writing in a transaction has a chain of its own besides.</summary>
    public int Chains { get; set; } = 4;

    /// <summary>A write that leaves this many events after the last checkpoint adds one.</summary>
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>A chain with events not yet covered gets a checkpoint this often.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Turns audit events into the exact bytes the stream will carry (<see cref="AuditCloudEvent"/>) and
/// links each into a hash chain as its outbox row is written, in the writer's transaction. Each
/// process writes its own chains (<c>&lt;service&gt;-&lt;random&gt;-&lt;n&gt;</c>), so replicas never wait for
/// each other; within a process every database connection that writes in transactions has a chain of
/// its own (a connection runs one transaction at a time, so two transactions never wait for each other
/// on a chain, nor deadlock on one), and events written on their own share a few chains, one writer
/// at a time each. A chain's head lives in <c>audit_chain</c>: a write moves it only from the position
/// and head it expected, in the same statement as the insert, so a rolled-back write leaves no gap and
/// the next writer, finding the head elsewhere, reads it (locked) and writes again.
/// </summary>
public sealed class AuditChains
{
    // In the writer's own transaction when it has one: no second connection while it holds one.
    private const string CreateSql = "INSERT INTO audit_chain (chain, position, head) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING";

    private const string LockSql = "SELECT position, head, checkpointed FROM audit_chain WHERE chain = $1 FOR UPDATE";

    // The insert takes its rows from the head's move: nothing is written unless the head moved from where we expected.
    private const string WriteSql = """
        WITH moved AS (
            UPDATE audit_chain SET position = $3, head = $4, checkpointed = $5 WHERE chain = $1 AND position = $2 AND head = $10 RETURNING 1),
        written AS (
            INSERT INTO outbox (event_id, message_type, chain, position, body)
            SELECT e.id, e.type, $1, e.pos, e.body FROM unnest($6::uuid[], $7::text[], $8::bigint[], $9::bytea[]) AS e(id, type, pos, body), moved
            ORDER BY e.pos)
        SELECT (SELECT count(*) FROM moved), pg_notify('outbox', '')
        """;

    private readonly string _service;
    private readonly string _issuer;
    private readonly AuditKey _key;
    private readonly AuditChainOptions _options;
    private readonly string _prefix;
    private readonly Chain?[] _standalone;
    private readonly ConditionalWeakTable<NpgsqlTransaction, Chain> _byTransaction = new();
    private readonly ConcurrentDictionary<string, Chain> _live = new(StringComparer.Ordinal);
    private int _next = -1;
    private long _created;

    public AuditChains(string service, string issuer, AuditKey key, AuditChainOptions? options = null)
    {
        _service = service;
        _issuer = issuer;
        _key = key;
        _options = options ?? new AuditChainOptions();
        _prefix = $"{service}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        _standalone = new Chain?[Math.Max(1, _options.Chains)];
    }

    public string Service => _service;

    public string Issuer => _issuer;

    /// <summary>Called with a chain's id when the head of a chain written only by this process moved without it (logged as an error by the host).</summary>
    public Action<string>? Moved { get; set; }

    /// <summary>
    /// Writes the events, in order, as the next positions of one chain: in <paramref name="transaction"/>
    /// when given (every write of one transaction goes to the same chain, so transactions never wait on
    /// each other in a cycle), else on their own.
    /// </summary>
    public async Task WriteAsync(NpgsqlDataSource dataSource, NpgsqlTransaction? transaction, IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        if (transaction is not null)
        {
            var mine = ChainOf(transaction);
            await WriteAsync(transaction.Connection!, transaction, mine, events, checkpoint: false, cancellationToken);
            return;
        }

        while (true)
        {
            var slot = (int)((uint)Interlocked.Increment(ref _next) % (uint)_standalone.Length);
            var current = Volatile.Read(ref _standalone[slot]);
            var chain = current;
            if (chain is null or { Closed: true })
            {
                var created = NewChain();
                chain = Interlocked.CompareExchange(ref _standalone[slot], created, current) == current ? created : Volatile.Read(ref _standalone[slot])!;
            }

            await chain.Gate.WaitAsync(cancellationToken);
            try
            {
                // Ended by the final checkpoint while this writer waited: another chain takes the event.
                if (chain.Closed)
                {
                    continue;
                }

                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await WriteAsync(connection, null, chain, events, checkpoint: false, cancellationToken);
                return;
            }
            finally
            {
                chain.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Checkpoints every chain of this process with events not yet covered. <paramref name="final"/>:
    /// every chain, marked final, and closed: a later write (a consumer still at work while the service
    /// stops) starts a new chain rather than follow a final checkpoint.
    /// </summary>
    public async Task CheckpointAsync(NpgsqlDataSource dataSource, bool final, CancellationToken cancellationToken)
    {
        List<Exception>? failures = null;
        foreach (var chain in _live.Values.OrderBy(c => c.Id, StringComparer.Ordinal))
        {
            if (!final && !chain.Read().HasUncovered)
            {
                continue;
            }

            await chain.Gate.WaitAsync(cancellationToken);
            try
            {
                if (chain.Read().Position > 0)
                {
                    await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                    await WriteAsync(connection, null, chain, [], checkpoint: true, cancellationToken, final);
                }

                // Never written: nothing to cover, nothing to end.
                if (final)
                {
                    chain.Closed = true;
                    _live.TryRemove(chain.Id, out _);
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // One chain's trouble (its row locked by a long transaction, the database away) holds no other back.
                (failures ??= []).Add(e);
            }
            finally
            {
                chain.Gate.Release();
            }
        }

        if (failures is not null)
        {
            throw new AggregateException($"{failures.Count} audit chain checkpoint(s) not written", failures);
        }
    }

    private async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Chain chain, IReadOnlyList<AuditEvent> events,
        bool checkpoint, CancellationToken cancellationToken, bool final = false)
    {
        if (!chain.Created)
        {
            await using var create = new NpgsqlCommand(CreateSql, connection, transaction);
            create.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chain.Id });
            create.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = ChainLink.Genesis });
            await create.ExecuteNonQueryAsync(cancellationToken);
            // If that transaction rolls back, the row goes with it: LockAsync makes it again.
            chain.Created = true;
        }

        var prepared = Prepare(chain, chain.Read(), events, checkpoint, final);
        if (await TryWriteAsync(connection, transaction, prepared, cancellationToken))
        {
            chain.Advance(prepared);
            return;
        }

        // The head is not where this process left it: a write of ours rolled back, a checkpoint came
        // between, or someone changed the row. Lock it, read it, and write after it. A chain written
        // only under its gate (events on their own) commits every write, so there only a hand from
        // outside can have moved it: said loudly.
        if (transaction is null && !checkpoint && chain.Standalone)
        {
            Moved?.Invoke(chain.Id);
        }

        if (transaction is not null)
        {
            prepared = Prepare(chain, await LockAsync(connection, transaction, chain, cancellationToken), events, checkpoint, final);
            await WriteLockedAsync(connection, transaction, prepared, cancellationToken);
        }
        else
        {
            await using var own = await connection.BeginTransactionAsync(cancellationToken);
            prepared = Prepare(chain, await LockAsync(connection, own, chain, cancellationToken), events, checkpoint, final);
            await WriteLockedAsync(connection, own, prepared, cancellationToken);
            await own.CommitAsync(cancellationToken);
        }

        chain.Advance(prepared);
    }

    private static async Task WriteLockedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Prepared prepared, CancellationToken cancellationToken)
    {
        if (!await TryWriteAsync(connection, transaction, prepared, cancellationToken))
        {
            throw new InvalidOperationException($"Audit chain {prepared.Chain} moved while locked.");
        }
    }

    private Prepared Prepare(Chain chain, ChainState state, IReadOnlyList<AuditEvent> events, bool checkpoint, bool final)
    {
        var rows = new List<Row>(events.Count + 1);
        var position = state.Position;
        var head = state.Head;
        foreach (var auditEvent in events)
        {
            head = Append(rows, auditEvent, chain.Id, ++position, head);
        }

        var checkpointed = state.Checkpointed;
        if (checkpoint || final || position - checkpointed >= _options.CheckpointEvery)
        {
            var at = DateTimeOffset.UtcNow;
            var encodedHead = Base64Url.EncodeToString(head);
            var signature = _key.SignCheckpoint(chain.Id, position, encodedHead, at, AuditCloudEvent.SourcePrefix + _service, final);
            head = Append(rows, new ChainCheckpoint(chain.Id, position, encodedHead, signature, final) { Service = _service, OccurredAt = at },
                chain.Id, ++position, head);
            checkpointed = position;
        }

        return new Prepared(chain.Id, state.Position, state.Head, position, head, checkpointed, rows);
    }

    private byte[] Append(List<Row> rows, AuditEvent auditEvent, string chain, long position, byte[] previous)
    {
        var body = AuditCloudEvent.Write(auditEvent, _issuer, auditEvent.TraceParent, new ChainLink(chain, position, previous), _key.MacKey);
        rows.Add(new Row(auditEvent.EventId, auditEvent.Type, position, body));
        return AuditCloudEvent.Hash(body);
    }

    private static async Task<bool> TryWriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Prepared prepared, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(WriteSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prepared.Chain });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = prepared.From });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = prepared.To });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = prepared.Head });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = prepared.Checkpointed });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. prepared.Rows.Select(r => r.EventId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. prepared.Rows.Select(r => r.Type)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. prepared.Rows.Select(r => r.Position)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. prepared.Rows.Select(r => r.Body)] });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = prepared.FromHead });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    private static async Task<ChainState> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Chain chain, CancellationToken cancellationToken)
    {
        // The row may be gone with the rolled-back transaction that made it: made again, then locked.
        await using (var create = new NpgsqlCommand(CreateSql, connection, transaction))
        {
            create.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chain.Id });
            create.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = ChainLink.Genesis });
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(LockSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = chain.Id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Audit chain {chain.Id} has no head row.");
        }

        return new ChainState(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2));
    }

    /// <summary>The chain of the connection the transaction runs on (Npgsql keeps one transaction object per connection).</summary>
    private Chain ChainOf(NpgsqlTransaction transaction)
    {
        if (_byTransaction.TryGetValue(transaction, out var mine) && !mine.Closed)
        {
            return mine;
        }

        var chain = NewChain(standalone: false);
        _byTransaction.AddOrUpdate(transaction, chain);
        return chain;
    }

    // Its head row is written with its first event (in that event's transaction).
    private Chain NewChain(bool standalone = true)
    {
        var chain = new Chain($"{_prefix}-{Interlocked.Increment(ref _created)}", standalone);
        _live[chain.Id] = chain;
        return chain;
    }

    private sealed record Row(Guid EventId, string Type, long Position, byte[] Body);

    private sealed record Prepared(string Chain, long From, byte[] FromHead, long To, byte[] Head, long Checkpointed, List<Row> Rows);

    /// <param name="Checkpointed">The position of the chain's last checkpoint event (which covers the one before it).</param>
    private sealed record ChainState(long Position, byte[] Head, long Checkpointed)
    {
        public bool HasUncovered => Position > Checkpointed;
    }

    /// <summary>This process's last known head of a chain: a guess, checked by every write.</summary>
    private sealed class Chain(string id, bool standalone)
    {
        private readonly Lock _gate = new();
        private ChainState _state = new(0, ChainLink.Genesis, 0);

        public string Id { get; } = id;

        /// <summary>One writer at a time, for the chains not tied to a connection.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Ended by a final checkpoint: nothing more is written to it.</summary>
        public bool Closed { get; set; }

        /// <summary>For events on their own: written only under <see cref="Gate"/>, each write committed.</summary>
        public bool Standalone { get; } = standalone;

        /// <summary>Its head row was written (by this process; a rollback may take it away again).</summary>
        public bool Created { get; set; }

        public ChainState Read()
        {
            lock (_gate)
            {
                return _state;
            }
        }

        public void Advance(Prepared prepared)
        {
            lock (_gate)
            {
                // Equal positions too: a write after a rollback takes the position back with another head.
                if (prepared.To >= _state.Position)
                {
                    _state = new ChainState(prepared.To, prepared.Head, prepared.Checkpointed);
                }
            }
        }
    }
}
