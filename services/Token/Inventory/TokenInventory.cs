using System.Text;
using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Inventory;

/// <summary>What a sender-constrained token is bound to: a DPoP key's thumbprint (RFC 9449 <c>jkt</c>), a certificate's (RFC 8705 <c>x5t#S256</c>), or both.</summary>
public sealed record TokenBindingDto(string? DpopJkt, string? MtlsX5t);

/// <summary>One issued access token (by jti) or refresh-token family (by family id); never the token itself.</summary>
/// <param name="Subject">The token's <c>sub</c>: a user's sys_id (for client credentials, the client's application user's).</param>
/// <param name="UserName">The subject's user name, when the directory knows it.</param>
/// <param name="LastUsedAt">Refresh families: when the family last refreshed.</param>
/// <param name="Active">
/// Access tokens: not expired, not revoked, not cut off by a withdrawal of the user's or client's access.
/// Families: not expired, not revoked. Neither reflects a revoked signing key or a deactivated client,
/// which the edge and introspection refuse as well.
/// </param>
public sealed record IssuedTokenDto(string Type, string Id, string ClientId, string Subject, string? UserName, string[] Scopes, string GrantType,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, bool Active, TokenBindingDto? Binding, Guid? FamilyId);

/// <summary>The filters of <c>GET /api/admin/tokens</c>; <see cref="SubjectId"/> is the user's sys_id, already resolved.</summary>
public sealed record TokenQuery(string? Type, string? ClientId, string? SubjectId, bool? Active, KeysetCursor? After, int Limit);

/// <summary>
/// The token inventory: issued access tokens (<c>issued_token</c>) and refresh families, newest
/// first, each list read through its own keyset index. Both types together are one merge of the two.
/// </summary>
public sealed class TokenInventory(NpgsqlDataSource dataSource)
{
    public const string AccessToken = "access_token";
    public const string RefreshToken = "refresh_token";

    private sealed record Row(string Type, string Id, string ClientId, string Subject, string Scope, string GrantType, DateTime IssuedAt,
        DateTime ExpiresAt, DateTime? LastUsedAt, bool Active, string? DpopJkt, string? MtlsX5t, Guid? FamilyId);

    // Active: what the token's own records say (cut-offs compare whole seconds, as introspection does).
    private const string AccessActive = """
        (t.expires_at > now() AND NOT EXISTS (SELECT 1 FROM revoked_token r WHERE r.jti = t.jti)
          AND NOT EXISTS (SELECT 1 FROM token_cut_off c
              WHERE ((c.subject_kind = 'user' AND c.subject_id = t.subject) OR (c.subject_kind = 'client' AND c.subject_id = t.client_id))
                AND date_trunc('second', c.issued_before) >= date_trunc('second', t.issued_at)))
        """;

    /// <summary>The live access tokens, for a caller to narrow with <c>AND t.…</c>.</summary>
    public const string LiveAccessTokens = $"SELECT 1 FROM issued_token t WHERE {AccessActive}";

    private const string FamilyActive = "(f.revoked_at IS NULL AND f.expires_at > now())";

    private const string AccessTokens = $"""
        SELECT 'access_token' AS type, t.jti AS id, t.client_id, t.subject, t.scope, t.grant_type, t.issued_at, t.expires_at,
               NULL::timestamptz AS last_used_at, {AccessActive} AS active, t.dpop_jkt, t.mtls_x5t, t.family_id
        FROM issued_token t
        """;

    private const string Families = $"""
        SELECT 'refresh_token' AS type, f.family_id::text AS id, f.client_id, f.user_sys_id::text AS subject, array_to_string(f.scopes, ' ') AS scope,
               f.grant_type, f.created_at AS issued_at, f.expires_at,
               GREATEST((SELECT max(rt.rotated_at) FROM refresh_token rt WHERE rt.family_id = f.family_id),
                        (SELECT max(it.issued_at) FROM issued_token it WHERE it.family_id = f.family_id AND it.grant_type = 'refresh_token')) AS last_used_at,
               {FamilyActive} AS active, f.dpop_jkt, f.mtls_x5t, f.family_id
        FROM refresh_family f
        """;

    public async Task<KeysetPage<IssuedTokenDto>> ListAsync(TokenQuery query, Func<string, ValueTask<string?>> userNameOf, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(new { query.ClientId, query.SubjectId, limit = query.Limit + 1 });
        if (query.After is { } after)
        {
            parameters.Add("afterAt", after.At);
            parameters.Add("afterId", after.Id);
        }

        var branches = new List<string>();
        if (query.Type is null or AccessToken)
        {
            branches.Add(Branch(AccessTokens, "t", "t.issued_at", "t.jti", "t.subject", query));
        }

        if (query.Type is null or RefreshToken)
        {
            branches.Add(Branch(Families, "f", "f.created_at", "f.family_id::text", "f.user_sys_id", query));
        }

        var sql = branches.Count == 1
            ? branches[0]
            : $"SELECT * FROM (({branches[0]}) UNION ALL ({branches[1]})) both_types ORDER BY issued_at DESC, id DESC LIMIT @limit";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).AsList();
        var more = rows.Count > query.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        var items = new List<IssuedTokenDto>(rows.Count);
        foreach (var row in rows)
        {
            items.Add(new IssuedTokenDto(row.Type, row.Id, row.ClientId, row.Subject, await userNameOf(row.Subject),
                row.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries), row.GrantType, DatabaseTime.Utc(row.IssuedAt), DatabaseTime.Utc(row.ExpiresAt),
                row.LastUsedAt is { } used ? DatabaseTime.Utc(used) : null, row.Active,
                row.DpopJkt is null && row.MtlsX5t is null ? null : new TokenBindingDto(row.DpopJkt, row.MtlsX5t),
                row.FamilyId));
        }

        return new KeysetPage<IssuedTokenDto>(items, more ? new KeysetCursor(rows[^1].IssuedAt, rows[^1].Id).Encode() : null);
    }

    /// <summary>One list's query: its filters, the keyset bound, newest first, one row more than a page (there is a next page).</summary>
    private static string Branch(string select, string alias, string issuedAt, string id, string subject, TokenQuery query)
    {
        var sql = new StringBuilder(select).Append(" WHERE true");
        if (query.ClientId is not null)
        {
            sql.Append($" AND {alias}.client_id = @ClientId");
        }

        if (query.SubjectId is not null)
        {
            sql.Append($" AND {subject} = @SubjectId");
        }

        if (query.After is not null)
        {
            sql.Append($" AND ({issuedAt}, {id}) < (@afterAt, @afterId)");
        }

        var active = alias == "t" ? AccessActive : FamilyActive;
        if (query.Active is { } wanted)
        {
            sql.Append(wanted ? $" AND {active}" : $" AND NOT {active}");
        }

        return sql.Append($" ORDER BY {issuedAt} DESC, {id} DESC LIMIT @limit").ToString();
    }

}
