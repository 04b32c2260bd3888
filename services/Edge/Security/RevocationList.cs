using System.Collections.Concurrent;
using Grpc.Core;
using MassTransit;
using OAuthAspire.ServiceDefaults.Caching;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Http;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Revoked token ids until they expire: a snapshot from the token service at start, then every
/// revocation event as it is committed (so a revoked token is refused within a second). The
/// per-user and per-client cut-offs (<see cref="CutOffs"/>) arrive the same two ways.
/// </summary>
public sealed class RevocationList
{
    private readonly ConcurrentDictionary<string, long> _revoked = new(StringComparer.Ordinal);

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public void Add(string jti, long expiresAt) => _revoked[jti] = expiresAt;

    public int Count => _revoked.Count;

    public void PurgeExpired(long now)
    {
        foreach (var (jti, expiresAt) in _revoked)
        {
            if (expiresAt < now)
            {
                _revoked.TryRemove(jti, out _);
            }
        }
    }
}

public sealed class TokenRevokedConsumer(RevocationList revocations, CutOffs cutOffs) : IConsumer<TokenRevoked>, IConsumer<TokensCutOff>
{
    public Task Consume(ConsumeContext<TokenRevoked> context)
    {
        revocations.Add(context.Message.Jti, context.Message.ExpiresAt.ToUnixTimeSeconds());
        return Task.CompletedTask;
    }

    /// <summary>A user or client lost access: their tokens issued until then are refused from the next call.</summary>
    public Task Consume(ConsumeContext<TokensCutOff> context)
    {
        if (CutOffs.IsKnownKind(context.Message.SubjectKind))
        {
            cutOffs.Set(context.Message.SubjectKind, context.Message.SubjectId, context.Message.IssuedBefore);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Loads the snapshot (retrying until the token service answers) and purges expired ids. While
/// revocation events cannot arrive (the broker is away) it reloads every second instead, and once
/// they can again it reloads once more: revocations published before this edge's queue was bound
/// again were never delivered to it.
/// </summary>
public sealed class RevocationSnapshot(RevocationList revocations, CutOffs cutOffs, IServiceProvider services, TimeProvider time,
    ILogger<RevocationSnapshot> logger)
    : BackgroundService
{
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CacheEpoch.Advanced += Wake;
        try
        {
            await LoadAsync(untilLoaded: true, stoppingToken);
            var nextPurge = time.GetUtcNow() + PurgeInterval;
            while (!stoppingToken.IsCancellationRequested)
            {
                var woken = await _wake.WaitAsync(CacheEpoch.Listening ? PurgeInterval : CacheEpoch.DeafLifetime, stoppingToken);
                if (woken || !CacheEpoch.Listening)
                {
                    await LoadAsync(untilLoaded: false, stoppingToken);
                }

                if (time.GetUtcNow() >= nextPurge)
                {
                    revocations.PurgeExpired(time.GetUtcNow().ToUnixTimeSeconds());
                    cutOffs.PurgeBefore(time.GetUtcNow());
                    nextPurge = time.GetUtcNow() + PurgeInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            CacheEpoch.Advanced -= Wake;
        }
    }

    private void Wake() => _wake.Release();

    private async Task LoadAsync(bool untilLoaded, CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var client = services.GetRequiredService<TokenIssuerClient>();
                var reply = await client.ListRevocationsAsync(new ListRevocationsRequest(), cancellationToken: stoppingToken);
                foreach (var revocation in reply.Revocations)
                {
                    revocations.Add(revocation.Jti, revocation.ExpiresAt);
                }

                foreach (var cutOff in reply.CutOffs.Where(c => CutOffs.IsKnownKind(c.SubjectKind)))
                {
                    cutOffs.Set(cutOff.SubjectKind, cutOff.SubjectId, DateTimeOffset.FromUnixTimeSeconds(cutOff.IssuedBefore));
                }

                if (untilLoaded)
                {
                    logger.LogInformation("Loaded {Count} revoked token id(s) and {CutOffs} cut-off(s)", reply.Revocations.Count, reply.CutOffs.Count);
                }

                return;
            }
            catch (Exception e) when (Dependencies.Away(e))
            {
                if (!untilLoaded)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * attempt, 5000)), stoppingToken);
            }
        }
    }
}
