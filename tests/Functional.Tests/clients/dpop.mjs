// DPoP (RFC 9449) with openid-client, a certified relying-party library, against the running
// system: a client-credentials token bound to a fresh key, an API call through the edge with it
// (the library answers the edge's nonce challenge itself), and the same token with another key.
// Prints one JSON line for CertifiedClientTests.cs.
//   node dpop.mjs <issuer> <client id> <client secret> <api path>
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, path] = process.argv.slice(2);
const options = issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, options);
const api = new URL(path, issuer);

const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
const tokens = await client.clientCredentialsGrant(config, { scope: 'useraccount' }, { DPoP });
const response = await client.fetchProtectedResource(config, tokens.access_token, api, 'GET', undefined, undefined, { DPoP });
const identity = await response.json();

const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
let stolen;
try {
  stolen = (await client.fetchProtectedResource(config, tokens.access_token, api, 'GET', undefined, undefined, { DPoP: thief })).status;
} catch (e) {
  stolen = { status: e.status ?? e.response?.status, error: e.error ?? e.code ?? String(e) };
}

console.log(JSON.stringify({ tokenType: tokens.token_type, status: response.status, clientId: identity.clientId, binding: identity.tokenBinding, stolen }));
