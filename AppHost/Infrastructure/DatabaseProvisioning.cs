using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OAuthAspire.AppHost.Infrastructure;

/// <summary>
/// Gives each service's database its own login role, as the server's administrator: the role
/// (LOGIN, nothing else; its password re-set from the parameter at every run) owns its database and
/// everything in it, and no role but the administrator may connect to any other database.
/// A database an earlier version created (owned by the administrator, and so its tables) is handed
/// over to the role. The local process, the container and a given server are all provisioned this way.
/// </summary>
internal sealed class DatabaseProvisioning(IResourceWithConnectionString server) : Provisioning<ServiceDatabaseResource>
{
    // Identifiers and literals are quoted by the server (format's %I and %L), never pasted here.
    private const string CreateRoleSql = "SELECT format('CREATE ROLE %I', $1::text) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $1::text)";

    private const string AlterRoleSql =
        "SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text)";

    private const string OwnerSql = "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1::text";

    private const string CreateDatabaseSql = "SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text)";

    private const string AlterOwnerSql = "SELECT format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text)";

    // Also the maintenance databases (template0 admits no connection at all).
    private const string RevokeConnectSql =
        "SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', datname) FROM pg_database WHERE datname = $1::text";

    private const string SetOwnerSql = "SELECT set_config('oauthaspire.owner', $1::text, false)";

    /// <summary>
    /// Everything in schema public not owned by the role becomes the role's: tables (their indexes and
    /// the sequences of their serial and identity columns follow), views, sequences of their own,
    /// routines and types (a table's row type and array types follow their owner; a range's multirange does not). Extensions' members stay.
    /// </summary>
    private const string HandOverSql = """
        DO $handover$
        DECLARE
            owner_name text := current_setting('oauthaspire.owner');
            owner_id oid := (SELECT oid FROM pg_roles WHERE rolname = current_setting('oauthaspire.owner'));
            public_id oid := (SELECT oid FROM pg_namespace WHERE nspname = 'public');
            item record;
        BEGIN
            -- Before PostgreSQL 15 the public schema belonged to the bootstrap superuser.
            IF EXISTS (SELECT FROM pg_namespace WHERE oid = public_id AND nspowner <> owner_id
                       AND pg_get_userbyid(nspowner) <> 'pg_database_owner') THEN
                EXECUTE format('ALTER SCHEMA public OWNER TO %I', owner_name);
            END IF;

            FOR item IN
                SELECT c.oid::regclass AS object, c.relkind FROM pg_class c
                WHERE c.relnamespace = public_id AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner <> owner_id
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER %s %s OWNER TO %I',
                    CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                    item.object, owner_name);
            END LOOP;

            FOR item IN
                SELECT c.oid::regclass AS object FROM pg_class c
                WHERE c.relnamespace = public_id AND c.relkind = 'S' AND c.relowner <> owner_id
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', item.object, owner_name);
            END LOOP;

            FOR item IN
                SELECT p.oid::regprocedure AS object FROM pg_proc p
                WHERE p.pronamespace = public_id AND p.proowner <> owner_id
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.object, owner_name);
            END LOOP;

            FOR item IN
                SELECT t.oid::regtype AS object, t.typtype FROM pg_type t
                WHERE t.typnamespace = public_id AND t.typowner <> owner_id AND t.typtype IN ('e', 'd', 'r', 'm', 'c')
                  AND (t.typrelid = 0 OR EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER %s %s OWNER TO %I', CASE item.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, item.object, owner_name);
            END LOOP;
        END
        $handover$
        """;

    protected override async Task ProvisionAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var logs = services.GetRequiredService<ResourceLoggerService>();
        var admin = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(cancellationToken))
        {
            // A pooled administrator session would linger in every service's database.
            Pooling = false,
            Timeout = 5,
        };

        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var maintenance in new[] { "postgres", "template1" })
            {
                await ExecuteFormattedAsync(connection, RevokeConnectSql, cancellationToken, maintenance);
            }

            foreach (var database in Resources)
            {
                var password = await database.Password.GetValueAsync(cancellationToken)
                    ?? throw new InvalidOperationException($"Parameter {database.Password.Name} has no value.");
                await ExecuteFormattedAsync(connection, CreateRoleSql, cancellationToken, database.RoleName);
                await ExecuteFormattedAsync(connection, AlterRoleSql, cancellationToken, database.RoleName, password);

                var owner = await ScalarAsync(connection, OwnerSql, cancellationToken, database.DatabaseName);
                if (owner is null)
                {
                    await ExecuteFormattedAsync(connection, CreateDatabaseSql, cancellationToken, database.DatabaseName, database.RoleName);
                }
                else if (owner != database.RoleName)
                {
                    await ExecuteFormattedAsync(connection, AlterOwnerSql, cancellationToken, database.DatabaseName, database.RoleName);
                }

                await ExecuteFormattedAsync(connection, RevokeConnectSql, cancellationToken, database.DatabaseName);
            }
        }

        foreach (var database in Resources)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database.DatabaseName }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await ScalarAsync(connection, SetOwnerSql, cancellationToken, database.RoleName);
            await using (var handOver = new NpgsqlCommand(HandOverSql, connection))
            {
                await handOver.ExecuteNonQueryAsync(cancellationToken);
            }

            logs.GetLogger(database).LogInformation("Database {Database} and everything in it belong to role {Role}, which may connect to nothing else",
                database.DatabaseName, database.RoleName);
        }
    }

    /// <summary>Runs the statement <paramref name="formatSql"/> (a <c>SELECT format(…)</c>) returns, if it returns one.</summary>
    private static async Task ExecuteFormattedAsync(NpgsqlConnection connection, string formatSql, CancellationToken cancellationToken,
        params string[] values)
    {
        if (await ScalarAsync(connection, formatSql, cancellationToken, values) is not { } statement)
        {
            return;
        }

        await using var command = new NpgsqlCommand(statement, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The text the query returns ($1, $2… bound to <paramref name="values"/>), or null without a row.</summary>
    private static async Task<string?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params string[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
