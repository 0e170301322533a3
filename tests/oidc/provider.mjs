// A real OpenID Connect provider for the tests: the npm package `oidc-provider` (certified), on
// 127.0.0.1 and a free port, with a plain login page instead of a password.  The test fixture
// passes clients and accounts as JSON in OIDC_TEST_CONFIG and reads the issuer from the first line
// printed.  Each account may carry the `acr` its login gets (ID-porten levels) and any claims.
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG || '{}');
const accounts = config.accounts || {};

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: config.clients || [],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  // Claims in the ID token itself, as Entra ID, Keycloak mappers and ID-porten (pid) put them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'pid'],
    profile: ['name', 'preferred_username', 'roles', 'tilbolig_org'],
    email: ['email'],
  },
  acrValues: ['idporten-loa-substantial', 'idporten-loa-high'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...(account.claims || {}) }) };
  },
});

function page(uid, message) {
  const error = message ? `<p role="alert">${message}</p>` : '';
  return `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Testleverandør</title></head>
<body><h1>Testleverandør for innlogging</h1>${error}
<form method="post" action="/interaction/${uid}">
<label for="login">Bruker hos leverandøren</label><input id="login" name="login" autofocus>
<button type="submit">Fortsett</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(details.uid));
    return;
  }
  const login = (await readForm(req)).get('login') || '';
  const account = accounts[login];
  if (!account) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(details.uid, 'Ukjent bruker.'));
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope || 'openid'));
  const grantId = await grant.save();
  const result = { login: { accountId: login }, consent: { grantId } };
  if (account.acr) result.login.acr = account.acr;
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(String(err && err.message));
    });
    return;
  }
  callback(req, res);
});

console.log(JSON.stringify({ issuer }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
