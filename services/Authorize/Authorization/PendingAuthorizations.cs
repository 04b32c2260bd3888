using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OAuthAspire.Protocol.Authorization;

namespace OAuthAspire.Authorize.Authorization;

/// <summary>A validated authorization request waiting for the user, with the scopes it would grant.</summary>
public sealed record PendingRequest
{
    public required string ClientId { get; init; }
    public required string ResponseType { get; init; }
    public required string RedirectUri { get; init; }
    public required bool RedirectUriSent { get; init; }
    public required string ResponseMode { get; init; }
    public required string[] Scopes { get; init; }
    public string? State { get; init; }
    public string? CodeChallenge { get; init; }
    public string? CodeChallengeMethod { get; init; }
    public string[] Prompt { get; init; } = [];
    public int? MaxAge { get; init; }
    public string? Nonce { get; init; }
    public string? LoginHint { get; init; }
    public string? IdTokenHint { get; init; }
    public string? DpopJkt { get; init; }

    /// <summary>RFC 8707: the APIs the grant is for.</summary>
    public string[] Resources { get; init; } = [];

    /// <summary>The pushed request this one came from (RFC 9126); its code spends it.</summary>
    public string? PushedRequestUri { get; init; }

    /// <summary>Not an authorization request: the device verification page (RFC 8628 §3.3), parked while the user signs in.</summary>
    public bool Device { get; init; }

    /// <summary>The user code the device page was opened with (<c>verification_uri_complete</c>), encrypted, to pre-fill after sign-in.</summary>
    public string? UserCode { get; init; }

    /// <summary>Not an authorization request: an account page (its path), parked while the user signs in.</summary>
    public string? AccountPage { get; init; }

    /// <summary>A page's visit parked for the sign-in page, not an authorization request: no client, no consent.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPageVisit => Device || AccountPage is not null;

    /// <summary>An account page's visit, parked for the sign-in page.</summary>
    public static PendingRequest ForAccount(string page) => ForDevice(null) with { Device = false, AccountPage = page };

    /// <summary>The device page's visit, parked for the sign-in page: no client, nothing to answer but the page itself.</summary>
    public static PendingRequest ForDevice(string? userCode) => new()
    {
        ClientId = "",
        ResponseType = "",
        RedirectUri = "",
        RedirectUriSent = false,
        ResponseMode = "",
        Scopes = [],
        Device = true,
        UserCode = userCode,
    };

    public static PendingRequest From(ValidatedAuthorizationRequest request, IReadOnlyList<string> grantedScopes) => new()
    {
        ClientId = request.ClientId,
        ResponseType = request.ResponseType,
        RedirectUri = request.RedirectUri,
        RedirectUriSent = request.RedirectUriSent,
        ResponseMode = request.ResponseMode,
        Scopes = [.. grantedScopes],
        State = request.State,
        CodeChallenge = request.CodeChallenge,
        CodeChallengeMethod = request.CodeChallengeMethod,
        Prompt = [.. request.Prompt],
        MaxAge = request.MaxAge,
        Nonce = request.Nonce,
        LoginHint = request.LoginHint,
        IdTokenHint = request.IdTokenHint,
        DpopJkt = request.DpopJkt,
        Resources = [.. request.Resources],
    };
}

/// <summary>A pending request and how far the user has got with it.</summary>
public sealed record Pending(string Id, PendingRequest Request, DateTime? LoginDoneAt, bool ConsentDone);

/// <summary>Authorization requests parked while the user signs in or consents, for ten minutes at most.</summary>
public sealed class PendingAuthorizations(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public async Task<string> SaveAsync(PendingRequest request, CancellationToken cancellationToken)
    {
        var id = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(18));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO pending_authorization (id, client_id, request, expires_at) VALUES (@id, @ClientId, @json::jsonb, now() + @Lifetime)
            """, new { id, request.ClientId, json = JsonSerializer.Serialize(request), Lifetime }, cancellationToken: cancellationToken));
        return id;
    }

    public async Task<Pending?> FindAsync(string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Json, DateTime? LoginDoneAt, bool ConsentDone)>(new CommandDefinition(
            "SELECT request::text, login_done_at, consent_done FROM pending_authorization WHERE id = @id AND expires_at > now()",
            new { id }, cancellationToken: cancellationToken));
        return row.Json is null ? null : new Pending(id, JsonSerializer.Deserialize<PendingRequest>(row.Json)!, row.LoginDoneAt, row.ConsentDone);
    }

    public async Task MarkAsync(string id, bool login, bool consent, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE pending_authorization SET login_done_at = CASE WHEN @login THEN now() ELSE login_done_at END,
                consent_done = consent_done OR @consent WHERE id = @id
            """, new { id, login, consent }, cancellationToken: cancellationToken));
    }

    /// <summary>Completes a request: it can be answered once only.</summary>
    public async Task<bool> CompleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM pending_authorization WHERE id = @id", new { id },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM pending_authorization WHERE expires_at < now();
            DELETE FROM login_session WHERE expires_at < now() - interval '1 day' OR ended_at < now() - interval '1 day';
            """, cancellationToken: cancellationToken));
    }
}
