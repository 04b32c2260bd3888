using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>What a self-registered client keeps beside its registry row.</summary>
public sealed record RegistrationRow
{
    public required string ClientId { get; init; }
    public required string RegistrationPolicy { get; init; }
    public byte[]? RegistrationTokenHash { get; init; }
    public string? SoftwareId { get; init; }
    public string? SoftwareVersion { get; init; }
    public string[] Contacts { get; init; } = [];
    public string? ClientUri { get; init; }
    public string? PolicyUri { get; init; }
    public string? TosUri { get; init; }
    public string? SoftwareStatement { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>The registration columns of self-registered clients, and their registration access tokens (kept as SHA-256).</summary>
public sealed class Registrations(NpgsqlDataSource dataSource)
{
    public const string Origin = "registration";

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public async Task<RegistrationRow?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RegistrationRow>(new CommandDefinition("""
            SELECT client_id, registration_policy, registration_token_hash, software_id, software_version, contacts, client_uri, policy_uri, tos_uri, software_statement,
                created_at
            FROM oauth_client WHERE client_id = @clientId AND origin = 'registration' AND deleted_at IS NULL
            """, new { clientId }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks a client just written as self-registered under <paramref name="policy"/>, with a new registration access token's hash (none for a metadata document's).</summary>
    public static Task SaveAsync(NpgsqlTransaction tx, string clientId, string policy, byte[]? tokenHash, ClientMetadata metadata, CancellationToken cancellationToken,
        string origin = Origin) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("""
            UPDATE oauth_client SET origin = @origin, registration_policy = @policy, registration_token_hash = @tokenHash,
                software_id = @SoftwareId, software_version = @SoftwareVersion, contacts = @contacts, client_uri = @ClientUri, policy_uri = @PolicyUri,
                tos_uri = @TosUri, software_statement = @SoftwareStatement
            WHERE client_id = @clientId
            """, new
        {
            clientId, origin, policy, tokenHash, metadata.SoftwareId, metadata.SoftwareVersion, contacts = metadata.Contacts.ToArray(), metadata.ClientUri,
            metadata.PolicyUri, metadata.TosUri, metadata.SoftwareStatement,
        }, tx, cancellationToken: cancellationToken));

    /// <summary>Counts the live clients of a policy, one registration at a time per policy (the caller's transaction holds the lock).</summary>
    public static async Task<long> CountLockedAsync(NpgsqlTransaction tx, string policy, CancellationToken cancellationToken)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext('registration_policy:' || @policy))", new { policy }, tx,
            cancellationToken: cancellationToken));
        return await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM oauth_client WHERE registration_policy = @policy AND deleted_at IS NULL", new { policy }, tx, cancellationToken: cancellationToken));
    }
}
