// Pushed authorization requests (RFC 9126) with openid-client, a certified relying-party library,
// against the running system: the library pushes the request (client_secret_basic) and builds the
// authorization URL from the request_uri it gets back. Prints one JSON line for CertifiedClientTests.cs.
//   node par.mjs <issuer> <client id> <client secret> <redirect uri>
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const options = issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, options);

const codeVerifier = client.randomPKCECodeVerifier();
const url = await client.buildAuthorizationUrlWithPAR(config, {
  redirect_uri: redirectUri,
  scope: 'openid useraccount',
  state: 'par-state',
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: 'S256',
});

console.log(JSON.stringify({ url: url.href, codeVerifier, query: [...url.searchParams.keys()] }));
