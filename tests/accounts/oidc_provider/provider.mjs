// A real OpenID Provider for the SSO tests: the certified `oidc-provider` package with its
// built-in development login page (any username signs in; the password is not checked).
//
// Environment:
//   OP_PORT      port to listen on (issuer http://127.0.0.1:<port>)
//   OP_CLIENTS   JSON list of {client_id, client_secret, redirect_uris, id_token_ttl?}
//   OP_ACCOUNTS  path of a JSON file {username: {claims...}}, re-read at every sign-in, so a
//                test can change a person's groups between two sign-ins.
// Extra route: /other-jwks serves a different key under the same key id, for the
// "ID token signed with a key that is not the issuer's" test.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OP_CLIENTS);
const accountsPath = process.env.OP_ACCOUNTS;

function signingJwk() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };
}
const key = signingJwk();
const otherKey = signingJwk();
const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

const ttls = Object.fromEntries(clients.map((c) => [c.client_id, c.id_token_ttl || 600]));

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  jwks: { keys: [key] },
  cookies: { keys: ['test-only-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false, // the ID token carries the claims too, not only userinfo
  ttl: {
    IdToken: (ctx, token, client) => ttls[client.clientId] || 600,
  },
  async findAccount(ctx, id) {
    const accounts = JSON.parse(readFileSync(accountsPath, 'utf8'));
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/other-jwks') {
    ctx.body = { keys: [publicPart(otherKey)] };
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
