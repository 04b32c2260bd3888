using Dapper;
using Npgsql;
using OAuthAspire.ClientRegistry.Clients;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>
/// Deletes self-registered clients that never got a token within their policy's <c>unusedExpiryDays</c>
/// (squatted names, abandoned sign-ups), as an administrator's delete would: tokens cut off, caches
/// dropped by the events. Each deletion re-checks the client under its row lock, so a first use
/// recorded meanwhile keeps it; replicas may run this side by side. Runs every
/// <c>Registration:ExpiryInterval</c> (an hour unless configured). Clients from metadata documents are
/// not expired: their id is their URL, nobody can squat it, and a deleted one could not come back.
/// </summary>
public sealed class UnusedClientExpiry(NpgsqlDataSource dataSource, IServiceScopeFactory scopes, IAuditSink audit, IConfiguration configuration,
    ILogger<UnusedClientExpiry> logger) : BackgroundService
{
    private const int Batch = 200;
    private static readonly TimeSpan FirstPause = TimeSpan.FromMinutes(5);

    private sealed record Candidate
    {
        public required string ClientId { get; init; }
        public required string Policy { get; init; }
        public int Days { get; init; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Registration:ExpiryInterval", TimeSpan.FromHours(1));
        // A pause first: a service starting (a deploy) lets the token service's use signals arrive before judging anyone unused;
        // short enough that a service restarted often still gets its rounds.
        await Task.Delay(interval < FirstPause ? interval : FirstPause, stoppingToken);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                if (await ExpireAsync(stoppingToken) is > 0 and var expired)
                {
                    logger.LogInformation("Deleted {Count} self-registered clients never used within their policy's time", expired);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Never ends the service: the next round tries again.
                logger.LogWarning(e, "Unused self-registered clients could not be expired this round");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>How many clients were deleted.</returns>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        IReadOnlyList<Candidate> candidates;
        int before;
        do
        {
            before = deleted;
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            {
                candidates = [.. await connection.QueryAsync<Candidate>(new CommandDefinition("""
                    SELECT c.client_id AS ClientId, p.name AS Policy, (extract(epoch FROM p.unused_expiry) / 86400)::int AS Days
                    FROM oauth_client c JOIN registration_policy p ON p.name = c.registration_policy
                    WHERE c.origin = 'registration' AND c.first_used_at IS NULL AND c.deleted_at IS NULL
                        AND p.unused_expiry IS NOT NULL AND c.created_at < now() - p.unused_expiry
                    ORDER BY c.created_at LIMIT @Batch
                    """, new { Batch }, cancellationToken: cancellationToken))];
            }

            await using var scope = scopes.CreateAsyncScope();
            var writes = scope.ServiceProvider.GetRequiredService<ClientWrites>();
            foreach (var candidate in candidates)
            {
                if (await writes.DeleteAsync(candidate.ClientId, AuditActor.None, cancellationToken, tx => StillUnusedAsync(tx, candidate, cancellationToken),
                    "self-registered client never used"))
                {
                    deleted++;
                }
            }
        }
        // A full batch of which none could be deleted would come back the same: stop until the next round.
        while (candidates.Count == Batch && deleted > before);

        return deleted;
    }

    private async Task<bool> StillUnusedAsync(NpgsqlTransaction tx, Candidate candidate, CancellationToken cancellationToken)
    {
        var unused = await tx.Connection!.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT client_id FROM oauth_client WHERE client_id = @ClientId AND first_used_at IS NULL AND deleted_at IS NULL FOR UPDATE",
            candidate, tx, cancellationToken: cancellationToken)) is not null;
        if (unused)
        {
            await audit.WriteAsync(tx, new UnusedClientExpired(candidate.ClientId, candidate.Policy, candidate.Days), cancellationToken);
        }

        return unused;
    }
}
