using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.Token.Keys;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// Signs an access token, then records it and its "token issued" audit event in one commit before
/// the token is handed out: a token nobody can account for never leaves the server.
/// </summary>
public sealed class AccessTokenIssuer(SigningKeys keys, IOptions<KeyOptions> keyOptions, NpgsqlDataSource dataSource, IAuditSink audit,
    IssuanceBatcher batcher, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public DateTimeOffset Now => time.GetUtcNow();

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Issues a token that belongs to no other change, committed with concurrent ones (group commit).</summary>
    public async Task<string> IssueAsync(AccessTokenContent content, string grantType, string? remoteAddress, AuditActor actor,
        CancellationToken cancellationToken)
    {
        var (token, issue) = Sign(content, grantType, remoteAddress, actor, null, null);
        await batcher.CommitAsync(issue, cancellationToken);
        return token;
    }

    /// <summary>
    /// Signs a token whose record, with what its grant changes (<see cref="GrantChange"/>), is
    /// committed with concurrent ones by <see cref="CommitAsync"/>: a code redemption or refresh read without a lock.
    /// </summary>
    public (string Token, PendingIssue Issue) Prepare(AccessTokenContent content, string grantType, string? remoteAddress, AuditActor actor,
        byte[]? codeHash, Guid? familyId, GrantChange change)
    {
        var (token, issue) = Sign(content, grantType, remoteAddress, actor, codeHash, familyId);
        return (token, issue with { Change = change with { Event = change.Event is { } own ? Traced(own) : null } });
    }

    /// <returns>False when a concurrent request spent the code or refresh token first: nothing was written, the token must not be handed out.</returns>
    public Task<bool> CommitAsync(PendingIssue issue, CancellationToken cancellationToken) => batcher.CommitAsync(issue, cancellationToken);

    /// <summary>Issues within the caller's transaction (a code redemption commits with its token).</summary>
    /// <param name="codeHash">The code it was issued for (a replayed code revokes it).</param>
    /// <param name="familyId">The refresh family it belongs to (a reused refresh token revokes it).</param>
    public async Task<string> IssueAsync(NpgsqlTransaction tx, AccessTokenContent content, string grantType, string? remoteAddress, AuditActor actor,
        byte[]? codeHash, Guid? familyId, CancellationToken cancellationToken)
    {
        var (token, issue) = Sign(content, grantType, remoteAddress, actor, codeHash, familyId);
        await IssuanceBatcher.InsertAsync(tx, [issue], audit, cancellationToken);
        return token;
    }

    /// <summary>The signed token, and its record and "token issued" event still to be written.</summary>
    private (string Token, PendingIssue Issue) Sign(AccessTokenContent content, string grantType, string? remoteAddress, AuditActor actor,
        byte[]? codeHash, Guid? familyId)
    {
        var key = keys.Signing(content.Algorithm ?? keyOptions.Value.Algorithm, content.IssuedAt);
        var token = AccessToken.Sign(content, key.Credentials, _handler);
        return (token, new PendingIssue(content.Jti, content.ClientId, content.Subject, content.Scope, grantType,
            content.IssuedAt.UtcDateTime, content.ExpiresAt.UtcDateTime,
            new TokenIssued(content.ClientId, grantType, content.Subject, content.Scopes, content.Jti, content.ExpiresAt)
            {
                Actor = actor,
                RemoteAddress = remoteAddress,
                TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString(),
                TraceParent = System.Diagnostics.Activity.Current?.Id,
            }, codeHash, familyId, content.Cnf?.Jkt, content.Cnf?.X5tS256));
    }

    /// <summary>An event the batch writer will write, named with this request's trace now (the writer runs outside it).</summary>
    public static AuditEvent Traced(AuditEvent auditEvent) => auditEvent with
    {
        TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString(),
        TraceParent = System.Diagnostics.Activity.Current?.Id,
    };
}
