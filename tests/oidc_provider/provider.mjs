// A real OpenID provider (panva/oidc-provider, OpenID certified) on 127.0.0.1 for docgen's sign-in
// tests. Started by tests/oidc.py, which reads the issuer URL from the first line printed.
//
// Usage: node provider.mjs <client_id> <client_secret> <redirect_uri>
//
// Two test-only endpoints, on loopback only, stand in for a person at the provider's login page:
//   POST /test/next-sign-in {"account": {"sub", "email", "email_verified", "name", "groups"},
//                            "tamper": {"aud": "...", "expired": true} | null}
// sets who signs in next, and optionally makes the next token response carry an ID token with a
// wrong audience or already expired, re-signed with the provider's own key: a provider (or
// something in between) that misbehaves, which the relying party must refuse.
import http from 'node:http';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const [clientId, clientSecret, redirectUri] = process.argv.slice(2);
const accounts = new Map();
let nextSub = null;
let tamper = null;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'docgen-test', alg: 'RS256', use: 'sig' };
const signingKey = await importJWK(jwk, 'RS256');

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { try { resolve(JSON.parse(body || '{}')); } catch (e) { reject(e); } });
  });
}

async function tampered(idToken) {
  const claims = decodeJwt(idToken);
  const header = decodeProtectedHeader(idToken);
  if (tamper.aud) claims.aud = tamper.aud;
  if (tamper.expired) { claims.iat -= 7200; claims.exp = claims.iat + 600; }
  return new SignJWT(claims).setProtectedHeader(header).sign(signingKey);
}

let provider;
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, provider.issuer);
    if (req.method === 'POST' && url.pathname === '/test/next-sign-in') {
      const body = await readJson(req);
      accounts.set(body.account.sub, body.account);
      nextSub = body.account.sub;
      tamper = body.tamper || null;
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: nextSub } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token' && tamper) {
      const end = res.end.bind(res);
      const write = res.write.bind(res);
      const chunks = [];
      res.write = (chunk) => { chunks.push(Buffer.from(chunk)); return true; };
      res.end = (chunk) => {
        if (chunk) chunks.push(Buffer.from(chunk));
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        if (!body.id_token) return end(Buffer.concat(chunks));
        tampered(body.id_token).then((idToken) => {
          tamper = null;
          const out = Buffer.from(JSON.stringify({ ...body, id_token: idToken }));
          res.setHeader('Content-Length', out.length);
          write(out);
          end();
        });
        return res;
      };
    }
    provider.callback()(req, res);
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
  }
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
                grant_types: ['authorization_code'], response_types: ['code'] }],
    pkce: { required: () => true },
    jwks: { keys: [jwk] },
    findAccount: async (ctx, sub) => {
      const account = accounts.get(sub);
      return account && { accountId: sub, claims: async () => ({ ...account }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    conformIdTokenClaims: false, // the ID token carries e-mail and groups, as Entra ID's does
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['docgen-test-cookie-key'] },
  });
  console.log(issuer);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
