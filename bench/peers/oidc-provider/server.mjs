// node oidc-provider configured like OAuthAspire, as the benchmark peer.
//
// Usage: node server.mjs <port> <client_id> <client_secret> [postgres] [web_client_secret]
//   postgres           Npgsql-style "Host=..;Port=..;Username=..;Password=..;Database=.." (or a
//                      postgres:// URL); env PEER_POSTGRES when the argument is absent, empty or "-".
//                      Without it, oidc-provider's in-memory adapter (LRU raised to 1,000,000 entries).
//   web_client_secret  secret of the "bench-web" client; defaults to <client_secret>.
//
// Clients (both client_secret_basic):
//   <client_id>  client credentials. RS256 JWT access tokens for urn:oauthaspire:bench (default
//                resource); opaque, stored (so introspectable) ones for resource=urn:oauthaspire:bench-opaque.
//   bench-web    authorization code (PKCE S256 required) + refresh token (rotated on every use),
//                scopes "openid offline_access api": RS256 JWT access token for urn:oauthaspire:bench,
//                RS256 id_token, opaque refresh token.
// Endpoints: oidc-provider's own (/token, /token/introspection, /jwks, discovery) plus
//   POST /bench/codes?count=N&verifier=V (loopback only): N authorization codes for bench-web and the
//   account bench-user, each with its own Grant, code_challenge = S256(V). Answers {"codes":[...]}.
import { generateKeyPair, hash } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import Provider, { errors } from 'oidc-provider';
// oidc-provider's own in-memory adapter, given a bigger store: its default LRU holds 1,000 entries,
// fewer than a burst of minted codes (Grant + code + grant index each) or a run's refresh tokens.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [port, clientId, clientSecret, postgresArg, webSecretArg] = process.argv.slice(2);
if (!port || !clientId || !clientSecret) {
  console.error('usage: node server.mjs <port> <client_id> <client_secret> [postgres] [web_client_secret]');
  process.exit(2);
}
const postgres = postgresArg && postgresArg !== '-' ? postgresArg : process.env.PEER_POSTGRES;
const webSecret = webSecretArg || clientSecret;

const resource = 'urn:oauthaspire:bench';
const opaqueResource = 'urn:oauthaspire:bench-opaque';
const webClientId = 'bench-web';
const redirectUri = 'https://app.example.test/callback';
const benchAccount = 'bench-user';
const benchScope = 'openid offline_access api';
const issuer = `http://127.0.0.1:${port}`;

// --- PostgreSQL adapter ------------------------------------------------------------------------

/** Npgsql keyword (lower case, spaces removed) -> pg client config property. */
const npgsqlKeys = {
  host: 'host', server: 'host',
  port: 'port',
  username: 'user', userid: 'user', user: 'user', uid: 'user',
  password: 'password', pwd: 'password',
  database: 'database', db: 'database',
  sslmode: 'sslmode',
  timeout: 'connectionTimeoutMillis',
  commandtimeout: 'statement_timeout',
  applicationname: 'application_name',
};

/** Parses an Npgsql connection string (key=value;..., values optionally quoted) into pg's config. */
function pgConfig(connectionString) {
  if (/^postgres(ql)?:\/\//i.test(connectionString)) {
    return { connectionString };
  }
  const config = {};
  const re = /\s*([^=;]+?)\s*=\s*(?:"((?:[^"]|"")*)"|'((?:[^']|'')*)'|([^;]*))\s*(?:;|$)/gy;
  let match;
  while (re.lastIndex < connectionString.length && (match = re.exec(connectionString))) {
    const key = match[1].toLowerCase().replace(/\s+/g, '');
    const value = match[2] !== undefined ? match[2].replaceAll('""', '"')
      : match[3] !== undefined ? match[3].replaceAll("''", "'") : match[4].trim();
    const name = npgsqlKeys[key];
    if (!name) continue; // pooling, keepalive and other Npgsql-only settings
    config[name] = value;
  }
  if (re.lastIndex < connectionString.length && connectionString.slice(re.lastIndex).trim()) {
    throw new Error('unparseable PostgreSQL connection string');
  }
  if (config.host) config.host = config.host.split(',')[0].replace(/:\d+$/, ''); // first of several hosts
  if (config.port) config.port = Number(config.port);
  if (config.connectionTimeoutMillis) config.connectionTimeoutMillis = Number(config.connectionTimeoutMillis) * 1000;
  if (config.statement_timeout) config.statement_timeout = Number(config.statement_timeout) * 1000;
  const sslmode = (config.sslmode ?? 'disable').toLowerCase();
  delete config.sslmode;
  if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'allow') config.ssl = { rejectUnauthorized: false };
  else if (sslmode === 'verifyca' || sslmode === 'verify-ca' || sslmode === 'verifyfull' || sslmode === 'verify-full') config.ssl = true;
  return config;
}

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * One row per stored model instance (Grant, AuthorizationCode, RefreshToken, opaque
 * AccessToken/ClientCredentials, Session, ...), keyed by (id, model name), its payload as JSONB.
 * Every call is one autocommitted statement on a pooled connection.
 */
class PostgresAdapter {
  static pool;

  static async connect(connectionString) {
    PostgresAdapter.pool = new pg.Pool({ ...pgConfig(connectionString), max: 16 });
    PostgresAdapter.pool.on('error', (error) => console.error('postgres pool:', error.message));
    await PostgresAdapter.pool.query(`
      CREATE TABLE IF NOT EXISTS oidc_model (
        id text NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        grant_id text,
        user_code text,
        uid text,
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (id, type));
      CREATE INDEX IF NOT EXISTS oidc_model_grant_id ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_model_uid ON oidc_model (uid) WHERE uid IS NOT NULL;
      CREATE INDEX IF NOT EXISTS oidc_model_user_code ON oidc_model (user_code) WHERE user_code IS NOT NULL;`);
  }

  constructor(name) {
    this.type = name;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
    const consumedAt = payload.consumed ? new Date(payload.consumed * 1000) : null;
    await PostgresAdapter.pool.query({
      name: 'oidc_upsert',
      text: `INSERT INTO oidc_model (id, type, payload, grant_id, user_code, uid, expires_at, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id, type) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
               user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
               consumed_at = excluded.consumed_at`,
      values: [id, this.type, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt, consumedAt],
    });
  }

  async #findBy(name, column, value) {
    const { rows } = await PostgresAdapter.pool.query({
      name,
      text: `SELECT payload FROM oidc_model
             WHERE ${column} = $1 AND type = $2 AND (expires_at IS NULL OR expires_at > now())`,
      values: [value, this.type],
    });
    return rows[0]?.payload;
  }

  find(id) {
    return this.#findBy('oidc_find', 'id', id);
  }

  findByUid(uid) {
    return this.#findBy('oidc_find_uid', 'uid', uid);
  }

  findByUserCode(userCode) {
    return this.#findBy('oidc_find_user_code', 'user_code', userCode);
  }

  // oidc-provider reads the row, checks `consumed`, then calls consume(): two requests racing with
  // the same code or refresh token would both pass that check. Consuming only an unconsumed row
  // and failing otherwise makes single use hold under concurrency too (same statement count).
  async consume(id) {
    const { rowCount } = await PostgresAdapter.pool.query({
      name: 'oidc_consume',
      text: `UPDATE oidc_model SET consumed_at = to_timestamp($3::bigint),
               payload = jsonb_set(payload, '{consumed}', to_jsonb($3::bigint))
             WHERE id = $1 AND type = $2 AND consumed_at IS NULL`,
      values: [id, this.type, epoch()],
    });
    if (rowCount !== 1) {
      throw new errors.InvalidGrant(`${this.type} already consumed`);
    }
  }

  async destroy(id) {
    await PostgresAdapter.pool.query({
      name: 'oidc_destroy',
      text: 'DELETE FROM oidc_model WHERE id = $1 AND type = $2',
      values: [id, this.type],
    });
  }

  async revokeByGrantId(grantId) {
    await PostgresAdapter.pool.query({
      name: 'oidc_revoke_grant',
      text: 'DELETE FROM oidc_model WHERE grant_id = $1 AND type = $2',
      values: [grantId, this.type],
    });
  }
}

let adapter;
if (postgres) {
  await PostgresAdapter.connect(postgres);
  adapter = PostgresAdapter;
} else {
  const store = new LRU({ maxSize: 1_000_000 });
  adapter = (name) => new MemoryAdapter(name, store);
}

// --- provider ----------------------------------------------------------------------------------

const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };

const resourceServers = {
  [resource]: { scope: 'api', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
  [opaqueResource]: { scope: 'api', audience: opaqueResource, accessTokenFormat: 'opaque' },
};

const provider = new Provider(issuer, {
  adapter,
  clients: [
    {
      client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
    },
    {
      client_id: webClientId,
      client_secret: webSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      scope: benchScope,
      id_token_signed_response_alg: 'RS256',
      require_auth_time: true,
    },
  ],
  jwks: { keys: [jwk] },
  findAccount: (ctx, id) => (id === benchAccount
    ? { accountId: id, claims: () => ({ sub: id }) }
    : undefined),
  pkce: { required: () => true },
  rotateRefreshToken: () => true,
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    // oidc-provider's default policy, made explicit (its default logs a notice on stdout on first use)
    introspection: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      getResourceServerInfo: (ctx, indicator) => {
        const info = resourceServers[indicator];
        if (!info) throw new errors.InvalidTarget();
        return info;
      },
      useGrantedResource: () => true,
    },
  },
  scopes: ['openid', 'offline_access', 'api'],
  ttl: {
    AccessToken: 1800,
    AuthorizationCode: 60,
    ClientCredentials: 1800,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
  },
});
provider.on('server_error', (ctx, error) => console.error('server_error:', error));

// --- bench-only code minting -------------------------------------------------------------------

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Stores one Grant (openid offline_access + api on the resource) and one code bound to it. */
async function mintCode(codeChallenge) {
  const grant = new provider.Grant({ accountId: benchAccount, clientId: webClientId });
  grant.addOIDCScope('openid offline_access');
  grant.addResourceScope(resource, 'api');
  const grantId = await grant.save();
  const code = new provider.AuthorizationCode({
    accountId: benchAccount,
    clientId: webClientId,
    grantId,
    scope: benchScope,
    resource,
    redirectUri,
    codeChallenge,
    codeChallengeMethod: 'S256',
    authTime: epoch(),
    claims: { id_token: { auth_time: { essential: true } } }, // what require_auth_time adds at /auth
    expiresWithSession: false,
  });
  return code.save();
}

provider.use(async (ctx, next) => {
  if (ctx.path !== '/bench/codes') {
    return next();
  }
  if (!loopback.has(ctx.req.socket.remoteAddress)) {
    ctx.status = 403;
    return undefined;
  }
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return undefined;
  }
  const count = Number(ctx.query.count ?? 1);
  const { verifier } = ctx.query;
  if (!Number.isInteger(count) || count < 1 || count > 10000
      || typeof verifier !== 'string' || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: 'count 1..10000 and verifier (43-128 unreserved characters) required' };
    return undefined;
  }
  const challenge = hash('sha256', verifier, 'base64url');
  const codes = [];
  for (let i = 0; i < count; i += 64) {
    codes.push(...await Promise.all(Array.from({ length: Math.min(64, count - i) }, () => mintCode(challenge))));
  }
  ctx.body = { codes };
  return undefined;
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider ready at ${issuer} (storage: ${postgres ? 'postgresql' : 'memory'})`));
