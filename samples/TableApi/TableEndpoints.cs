using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace OAuthAspire.Samples.TableApi;

/// <summary><c>/api/now/table/{table}</c>: list, read, create, update (merge) and delete rows.</summary>
public static partial class TableEndpoints
{
    [GeneratedRegex("^[a-z0-9_]{1,80}$")]
    private static partial Regex TableName();

    public static IEndpointRouteBuilder MapTableEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var table = endpoints.MapGroup("/api/now/table/{table}").RequireAuthorization();
        table.MapGet("", ListAsync);
        table.MapGet("/{sysId}", GetAsync);
        table.MapPost("", CreateAsync);
        table.MapPatch("/{sysId}", UpdateAsync);
        table.MapDelete("/{sysId}", DeleteAsync);
        return endpoints;
    }

    private static async Task<IResult> ListAsync(string table, int? sysparm_limit, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!TableName().IsMatch(table))
        {
            return BadTable();
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string SysId, string Data)>(new CommandDefinition(
            "SELECT sys_id, data::text FROM table_row WHERE table_name = @table ORDER BY created_at LIMIT @limit",
            new { table, limit = Math.Clamp(sysparm_limit ?? 100, 1, 1000) }, cancellationToken: ct));
        return TypedResults.Ok(new { result = rows.Select(r => Row(r.SysId, r.Data)).ToArray() });
    }

    private static async Task<IResult> GetAsync(string table, string sysId, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!TableName().IsMatch(table))
        {
            return BadTable();
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var data = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT data::text FROM table_row WHERE table_name = @table AND sys_id = @sysId", new { table, sysId }, cancellationToken: ct));
        return data is null ? NotFound() : TypedResults.Ok(new { result = Row(sysId, data) });
    }

    private static async Task<IResult> CreateAsync(string table, JsonObject body, NpgsqlDataSource db, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!TableName().IsMatch(table))
        {
            return BadTable();
        }

        body.Remove("sys_id");
        var sysId = Guid.NewGuid().ToString("N");
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO table_row (sys_id, table_name, data, created_by) VALUES (@sysId, @table, @data::jsonb, @by)",
            new { sysId, table, data = body.ToJsonString(), by = user.FindFirstValue("sub") ?? "" }, cancellationToken: ct));
        return TypedResults.Created($"/api/now/table/{table}/{sysId}", new { result = Row(sysId, body.ToJsonString()) });
    }

    private static async Task<IResult> UpdateAsync(string table, string sysId, JsonObject body, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!TableName().IsMatch(table))
        {
            return BadTable();
        }

        body.Remove("sys_id");
        await using var connection = await db.OpenConnectionAsync(ct);
        var data = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "UPDATE table_row SET data = data || @patch::jsonb, updated_at = now() WHERE table_name = @table AND sys_id = @sysId RETURNING data::text",
            new { table, sysId, patch = body.ToJsonString() }, cancellationToken: ct));
        return data is null ? NotFound() : TypedResults.Ok(new { result = Row(sysId, data) });
    }

    private static async Task<IResult> DeleteAsync(string table, string sysId, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!TableName().IsMatch(table))
        {
            return BadTable();
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM table_row WHERE table_name = @table AND sys_id = @sysId", new { table, sysId }, cancellationToken: ct));
        return deleted == 1 ? TypedResults.NoContent() : NotFound();
    }

    private static JsonObject Row(string sysId, string data)
    {
        var row = JsonNode.Parse(data)!.AsObject();
        row["sys_id"] = sysId;
        return row;
    }

    private static IResult BadTable() =>
        TypedResults.Problem(statusCode: 400, title: "Bad Request", detail: "Table names are 1-80 characters of a-z, 0-9 and _.");

    private static IResult NotFound() => TypedResults.Problem(statusCode: 404, title: "Not Found", detail: "No such record.");
}
