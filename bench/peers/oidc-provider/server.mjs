// node oidc-provider configured like OAuthAspire for the client-credentials comparison: one
// confidential client (client_secret_basic), RS256 JWT access tokens for one resource (resource
// indicators, accessTokenFormat 'jwt'), nothing persisted beyond its default in-memory adapter.
// Usage: node server.mjs <port> <client_id> <client_secret>
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = process.argv.slice(2);
const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };
const resource = 'urn:oauthaspire:bench';
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
  jwks: { keys: [jwk] },
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      getResourceServerInfo: () => ({ scope: 'api', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      useGrantedResource: () => true,
    },
  },
  scopes: ['api'],
  ttl: { ClientCredentials: 1800 },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider ready at ${issuer}`));
