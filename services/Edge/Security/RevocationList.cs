using System.Collections.Concurrent;
using Grpc.Core;
using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Contracts.Grpc.TokenIssuer;
using TokenIssuerClient = OAuthAspire.Contracts.Grpc.TokenIssuer.TokenIssuer.TokenIssuerClient;

namespace OAuthAspire.Edge.Security;

/// <summary>
/// Revoked token ids until they expire: a snapshot from the token service at start, then every
/// revocation event as it is committed (so a revoked token is refused within a second).
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

public sealed class TokenRevokedConsumer(RevocationList revocations) : IConsumer<TokenRevoked>
{
    public Task Consume(ConsumeContext<TokenRevoked> context)
    {
        revocations.Add(context.Message.Jti, context.Message.ExpiresAt.ToUnixTimeSeconds());
        return Task.CompletedTask;
    }
}

/// <summary>Loads the snapshot (retrying until the token service answers), then purges expired ids.</summary>
public sealed class RevocationSnapshot(RevocationList revocations, IServiceProvider services, TimeProvider time, ILogger<RevocationSnapshot> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
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

                logger.LogInformation("Loaded {Count} revoked token id(s)", reply.Revocations.Count);
                break;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * attempt, 5000)), stoppingToken);
            }
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            revocations.PurgeExpired(time.GetUtcNow().ToUnixTimeSeconds());
        }
    }
}
