// Mutual TLS (RFC 8705) with openid-client, a certified relying-party library, against the running
// system: tls_client_auth on the metadata's mtls_endpoint_aliases (the library picks the alias
// itself), a certificate-bound token used at the API over the same certificate, and over another.
// Prints one JSON line for CertifiedClientTests.cs.
//   node mtls.mjs <issuer> <client id> <cert.pem> <key.pem> <other-cert.pem> <other-key.pem> <server-ca.pem> <api path>
import { readFileSync } from 'node:fs';
import * as undici from 'undici';
import * as client from 'openid-client';

const [issuer, clientId, certFile, keyFile, otherCertFile, otherKeyFile, caFile, path] = process.argv.slice(2);
const ca = readFileSync(caFile, 'utf8');
const agentOf = (cert, key) => new undici.Agent({ connect: { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), ca } });
const owner = agentOf(certFile, keyFile);

const options = issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(new URL(issuer), clientId, { use_mtls_endpoint_aliases: true }, client.TlsClientAuth(), options);
config[client.customFetch] = (url, init) => undici.fetch(url, { ...init, dispatcher: owner });

const tokens = await client.clientCredentialsGrant(config, { scope: 'useraccount' });
const api = new URL(path, config.serverMetadata().mtls_endpoint_aliases.token_endpoint);
const response = await client.fetchProtectedResource(config, tokens.access_token, api, 'GET');
const identity = await response.json();

const thief = agentOf(otherCertFile, otherKeyFile);
config[client.customFetch] = (url, init) => undici.fetch(url, { ...init, dispatcher: thief });
let stolen;
try {
  stolen = (await client.fetchProtectedResource(config, tokens.access_token, api, 'GET')).status;
} catch (e) {
  stolen = { status: e.status ?? e.response?.status, error: e.error ?? e.code ?? String(e) };
}

console.log(JSON.stringify({ tokenType: tokens.token_type, status: response.status, clientId: identity.clientId, binding: identity.tokenBinding, stolen }));
