// Test OpenID Provider for pam_oauth2's tests.
//
// An HTTPS oidc-provider on 127.0.0.1 with the Device Authorization Grant
// (RFC 8628), its own minimal login and consent pages, fixed test accounts
// and clients, RFC 8628 polling rules (interval / slow_down) that
// oidc-provider itself lacks, and a request log for the tests.
//
// Environment:
//   IDP_PORT      port to listen on (0 = any free port; the READY line tells)
//   IDP_CERT      server certificate (PEM)
//   IDP_KEY       server private key (PEM)
//   IDP_INTERVAL  polling interval announced by /device/auth (seconds, default 1)
//
// Also test knobs for token verification: an ES256 key next to the RS256
// one, a JWKS endpoint that can serve an unknown kid once
// (/test/jwks-rotating), a client whose JWT access tokens have the wrong
// audience (pam-wrong-aud), and a client to which introspection lies about
// client_id (pam-confused).
//
// Prints "READY https://127.0.0.1:PORT" on stdout once it accepts connections.
// See README.md for the accounts, clients and test endpoints.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';

import Provider, { errors } from 'oidc-provider';

const T0 = performance.now();
const nowMs = () => performance.now() - T0;

function fail(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(2);
}

const env = process.env;
if (!env.IDP_CERT || !env.IDP_KEY) fail('IDP_CERT and IDP_KEY must be set');
if (env.IDP_PORT === undefined || !/^\d+$/.test(env.IDP_PORT)) fail('IDP_PORT must be set to a port number (0 = any)');
const INTERVAL = env.IDP_INTERVAL === undefined ? 1 : Number(env.IDP_INTERVAL);
if (!Number.isInteger(INTERVAL) || INTERVAL < 0) fail('IDP_INTERVAL must be a non-negative integer');

// Polls that arrive up to this many ms early still count as on time.
const TOLERANCE_MS = 50;
// RFC 8628 section 3.5: slow_down adds 5 seconds to the interval.
const SLOW_DOWN_STEP = 5;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JWT_RESOURCE = 'urn:pam-oauth2:test';
// pam-wrong-aud's JWT access tokens for JWT_RESOURCE carry this audience instead.
const WRONG_AUDIENCE = 'urn:pam-oauth2:other';
// Introspection answers to pam-confused about its own tokens name this client instead.
const CONFUSED_CLIENT = 'pam-confused';
const CONFUSED_AS = 'pam-someone-else';

// ---------------------------------------------------------------- accounts

// Account id = preferred_username = sub.
// deniedScopes: never granted, even when the user clicks Allow.
// Every account has a second factor: the one-time code `${id}-otp` (see SIGN_IN_FACTORS).
const ACCOUNTS = {
  alice: {
    password: 'alice-pw', name: 'Alice Ädmin', email: 'alice@example.com',
    email_verified: true, groups: ['admins', 'staff'], deniedScopes: [],
  },
  bob: {
    password: 'bob-pw', name: 'Bob Staff', email: 'bob@example.com',
    email_verified: true, groups: ['staff'], deniedScopes: ['sudo'],
  },
  carol: {
    password: 'carol-pw', name: 'Carol Nogroup', email: 'carol@example.com',
    email_verified: false, groups: [], deniedScopes: [],
  },
  // An account that claims alice's address without having proved it (any sign-up form
  // lets you type one): it must never log in as alice through username_claim = email.
  mallory: {
    password: 'mallory-pw', name: 'Mallory Claims', email: 'alice@example.com',
    email_verified: false, groups: [], deniedScopes: [],
  },
  // The on-call approver of four-eyes logins (approver_group = sre-oncall).
  dave: {
    password: 'dave-pw', name: 'Dave Oncall', email: 'dave@example.com',
    email_verified: true, groups: ['sre-oncall'], deniedScopes: [],
  },
  // A name that case folding would turn into the local root.
  Root: {
    password: 'Root-pw', name: 'Root Lookalike', email: 'root-lookalike@example.com',
    email_verified: true, groups: ['admins'], deniedScopes: [],
  },
};

// Test knobs set at run time (POST /test/disable, POST /test/withhold-scope):
// disabled accounts are not found (findAccount answers undefined: refresh and device-code
// grants then answer invalid_grant, /me invalid_token) and cannot sign in; an account's
// withheld scopes are dropped from every token issued for it from then on (refreshed ones
// included), as if an administrator had taken that permission away.
const disabledAccounts = new Set();
const withheldScopes = new Map(); // account id -> Set of scopes
const withheldFor = (id) => withheldScopes.get(id) || new Set();

// What the ID token says about the sign-in (amr, acr), by the factors used.
const SIGN_IN_FACTORS = {
  pwd: { amr: ['pwd'], acr: 'urn:pam-oauth2:test:pwd' },
  mfa: { amr: ['pwd', 'otp', 'mfa'], acr: 'urn:pam-oauth2:test:mfa' },
};

function accountClaims(id) {
  const a = ACCOUNTS[id];
  return {
    sub: id,
    preferred_username: id,
    name: a.name,
    email: a.email,
    email_verified: a.email_verified,
    groups: [...a.groups],
  };
}

// ----------------------------------------------------------------- clients

const deviceClient = (extra) => ({
  grant_types: [DEVICE_GRANT, 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  ...extra,
});

const CLIENTS = [
  deviceClient({ client_id: 'pam-public', token_endpoint_auth_method: 'none' }),
  deviceClient({
    client_id: 'pam-basic',
    client_secret: 's3cr3t:with/special+chars&=%',
    token_endpoint_auth_method: 'client_secret_basic',
  }),
  deviceClient({
    client_id: 'pam-post',
    client_secret: 'post-secret-123',
    token_endpoint_auth_method: 'client_secret_post',
  }),
  // Device codes expire after 4 s (see ttl.DeviceCode).
  deviceClient({ client_id: 'pam-short', token_endpoint_auth_method: 'none' }),
  // First token poll of each device code is answered slow_down.
  deviceClient({ client_id: 'pam-slow', token_endpoint_auth_method: 'none' }),
  // ID tokens signed with ES256 (P-256) instead of RS256.
  deviceClient({
    client_id: 'pam-es256',
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
  }),
  // JWT access tokens for resource=urn:pam-oauth2:test get aud=urn:pam-oauth2:other.
  deviceClient({ client_id: 'pam-wrong-aud', token_endpoint_auth_method: 'none' }),
  // Hostile: introspection answers it for its own tokens with client_id=pam-someone-else.
  deviceClient({
    client_id: CONFUSED_CLIENT,
    client_secret: 'confused-secret',
    token_endpoint_auth_method: 'client_secret_basic',
  }),
];
const SHORT_DEVICE_CODE_TTL = 4;

// -------------------------------------------------------------------- html

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const STYLE = 'body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}'
  + 'input,button{font-size:1em;margin:.2em 0}.error{color:#b00}code{font-size:1.3em}';

function page(title, body) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

function sendHtml(ctx, status, title, body) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = page(title, body);
}

// Pages for oidc-provider's device flow (user code entry, confirmation, success).
async function userCodeInputSource(ctx, form, out, err) {
  let msg = '<p>Enter the code displayed on your device.</p>';
  if (err) {
    let text;
    if (err.userCode || err.name === 'NoCodeError') text = 'The code you entered is incorrect or no longer valid.';
    else if (err.name === 'AbortedError') text = 'The sign-in request was denied.';
    else text = 'There was an error processing your request.';
    const detail = err.name.endsWith('Error') && err.status === 200
      ? ` (${esc(err.message)})` // oidc-provider's re-render errors: not found, expired, used, ...
      : ` (${esc(out?.error)}: ${esc(out?.error_description)})`;
    msg = `<p class="error" id="${err.name === 'AbortedError' ? 'aborted' : 'error'}">${text}${detail}</p>`;
  }
  ctx.type = 'html';
  ctx.body = page('Device sign-in', `${msg}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

async function userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
  ctx.type = 'html';
  ctx.body = page('Confirm device', `<p id="confirm">Client <b>${esc(client.clientId)}</b> asks to sign in.
Check that your device shows this code:</p>
<p><code>${esc(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
}

async function successSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed in', '<p id="success">Sign-in successful. You can close this page and return to your device.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Error', `<p class="error" id="error">${esc(out.error)}: ${esc(out.error_description)}</p>`);
}

// -------------------------------------------------------------- provider

// Signing keys, made at each start: RS256 (ID tokens of most clients, JWT
// access tokens) and ES256 on P-256 (pam-es256's ID tokens).
const randomKid = (prefix) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

function makeSigningKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    { pair: rsa, kid: randomKid('test-rs256'), alg: 'RS256' },
    { pair: ec, kid: randomKid('test-es256'), alg: 'ES256' },
  ];
}

const jwkOf = (key, { kid, alg }) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig', alg });

// The private JWKS for oidc-provider, and the public one /test/jwks-rotating serves.
const privateJwks = (keys) => ({ keys: keys.map((k) => jwkOf(k.pair.privateKey, k)) });
const publicJwks = (keys) => ({ keys: keys.map((k) => jwkOf(k.pair.publicKey, k)) });

// A JWKS holding only a fresh RSA public key that nothing signs with.
async function decoyJwks() {
  const { publicKey } = await new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, pub, priv) => (
      err ? reject(err) : resolve({ publicKey: pub, privateKey: priv })));
  });
  return { keys: [jwkOf(publicKey, { kid: randomKid('test-decoy'), alg: 'RS256' })] };
}

const ttl = (seconds) => () => seconds;

// oidc-provider's default store is an LRU of about 1000 entries per generation: with
// hundreds of flows in progress (the benchmark runs 200 at once) it drops pending device
// codes. Tests need a store that forgets only what has expired.
const stores = new Map();
function storeOf(name) {
  if (!stores.has(name)) stores.set(name, new Map());
  return stores.get(name);
}
class MapAdapter {
  constructor(name) {
    this.name = name;
    this.store = storeOf(name);
  }
  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0 });
    if (payload.userCode) storeOf('index:userCode').set(payload.userCode, id);
    if (payload.uid) storeOf('index:uid').set(payload.uid, id);
    if (payload.grantId) {
      const ids = storeOf('index:grant').get(payload.grantId) || [];
      ids.push([this.name, id]);
      storeOf('index:grant').set(payload.grantId, ids);
    }
  }
  async find(id) {
    // oidc-provider judges expiry itself (expired_token for a device code past its TTL), so
    // an entry stays findable for a minute after it expires, then is gone (invalid_grant).
    const entry = this.store.get(id);
    if (!entry || (entry.expiresAt && entry.expiresAt + 60000 <= Date.now())) return undefined;
    return entry.payload;
  }
  async findByUserCode(userCode) {
    const id = storeOf('index:userCode').get(userCode);
    return id ? this.find(id) : undefined;
  }
  async findByUid(uid) {
    const id = storeOf('index:uid').get(uid);
    return id ? this.find(id) : undefined;
  }
  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [name, id] of storeOf('index:grant').get(grantId) || []) storeOf(name).delete(id);
    storeOf('index:grant').delete(grantId);
  }
}

function providerConfig(signingKeys) {
  return {
    adapter: MapAdapter,
    clients: CLIENTS,
    jwks: privateJwks(signingKeys),
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    scopes: ['openid', 'profile', 'email', 'groups', 'ssh:login', 'sudo', 'offline_access'],
    claims: {
      // The library's defaults, which this list replaces, plus amr. acr and amr come with
      // openid below (from the sign-in, interaction()); auth_time when the request sends
      // max_age (oidc-provider honours it in the device flow).
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
      // preferred_username comes with openid (as many IdPs release it with their basic
      // scope), so a config of just issuer + client_id can name the user.
      openid: ['sub', 'preferred_username', 'acr', 'amr'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(ACCOUNTS, id) || disabledAccounts.has(id)) return undefined;
      return { accountId: id, async claims() { return accountClaims(id); } };
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        deviceInfo: (ctx) => ({ ip: ctx.ip, ua: ctx.get('user-agent') }),
        userCodeInputSource,
        userCodeConfirmSource,
        successSource,
      },
      introspection: {
        enabled: true,
        // A confidential client may introspect any token, a public one only its own.
        async allowedPolicy(ctx, client, token) {
          return !(client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client.clientId);
        },
      },
      revocation: {
        enabled: true,
        async allowedPolicy(ctx, client, token) {
          if (token.clientId !== client.clientId) {
            if (client.clientAuthMethod === 'none') return false;
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      userinfo: { enabled: true },
      // No default resource: access tokens are opaque unless the client asks for
      // resource=urn:pam-oauth2:test, which yields an RS256 JWT access token.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf || undefined,
        useGrantedResource: async () => true,
        async getResourceServerInfo(ctx, indicator, client) {
          if (indicator !== JWT_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: 'ssh:login sudo',
            // pam-wrong-aud: same resource, same scopes, same signing, other audience.
            audience: client?.clientId === 'pam-wrong-aud' ? WRONG_AUDIENCE : JWT_RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // JWT access tokens also carry the user name and groups.
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken' || token.resourceServer?.accessTokenFormat !== 'jwt') return undefined;
      if (!token.accountId || !Object.hasOwn(ACCOUNTS, token.accountId)) return undefined;
      const { preferred_username: u, groups } = accountClaims(token.accountId);
      return { preferred_username: u, groups };
    },
    ttl: {
      AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL || 3600,
      AuthorizationCode: ttl(60),
      ClientCredentials: ttl(600),
      DeviceCode: (ctx, code, client) => (client.clientId === 'pam-short' ? SHORT_DEVICE_CODE_TTL : 600),
      BackchannelAuthenticationRequest: ttl(600),
      IdToken: ttl(3600),
      RefreshToken: ttl(14 * 24 * 3600),
      Interaction: ttl(3600),
      Session: ttl(24 * 3600),
      Grant: ttl(24 * 3600),
    },
    renderError,
  };
}

// Withheld scopes (POST /test/withhold-scope) are taken out of what a grant yields when a
// token is issued: oidc-provider's device-code and refresh-token grants give the access
// token grant.getOIDCScopeFiltered(...) or grant.getResourceScopeFiltered(...) (8.8.1:
// lib/actions/grants/device_code.js:156-159, lib/actions/grants/refresh_token.js:212-223),
// and both read the grant through getOIDCScope / getResourceScope. The grants themselves
// are left as they are, so withheld=0 gives the scope back to later tokens. `openid` is
// never withheld. The consent prompt's "encountered" scopes (granted or rejected,
// lib/helpers/interaction_policy/prompts/consent.js:29,74) still count a withheld scope
// the user granted, so a new approval is not asked for it again and again.
function honourWithheldScopes(provider) {
  const { Grant } = provider;
  const minus = (scope, accountId) => {
    const withheld = withheldFor(accountId);
    if (!scope || withheld.size === 0) return scope;
    return scope.split(' ').filter((x) => !withheld.has(x)).join(' ');
  };
  const { getOIDCScope, getResourceScope } = Grant.prototype;
  // Both are also called on the grant's `rejected` part (not a Grant): leave that alone.
  Grant.prototype.getOIDCScope = function (...args) {
    const scope = getOIDCScope.apply(this, args);
    return this instanceof Grant ? minus(scope, this.accountId) : scope;
  };
  Grant.prototype.getResourceScope = function (...args) {
    const scope = getResourceScope.apply(this, args);
    return this instanceof Grant ? minus(scope, this.accountId) : scope;
  };
  Grant.prototype.getOIDCScopeEncountered = function () {
    return `${getOIDCScope.call(this)} ${this.getRejectedOIDCScope()}`.trim();
  };
  Grant.prototype.getResourceScopeEncountered = function (resource) {
    return `${getResourceScope.call(this, resource)} ${this.getRejectedResourceScope(resource)}`.trim();
  };
}

// Revokes every grant of an account, with every token and code issued under it (the
// same as oidc-provider's own revocation of a grant: lib/helpers/revoke.js). Returns how
// many grants there were.
async function revokeGrantsOf(accountId) {
  const ids = [...storeOf('Grant')].filter(([, e]) => e.payload.accountId === accountId).map(([id]) => id);
  const adapter = new MapAdapter('Grant');
  for (const id of ids) {
    await adapter.revokeByGrantId(id); // access/refresh tokens, device codes of that grant
    await adapter.destroy(id);
  }
  return ids.length;
}

// ------------------------------------------------------------ body helper

// Reads an application/x-www-form-urlencoded body ourselves (we need it before
// oidc-provider does) and leaves it as a string in req.body, which
// oidc-provider parses the same way as the stream.
const MAX_BODY = 56 * 1024;
function readForm(ctx) {
  if (ctx.method !== 'POST' || !ctx.is('application/x-www-form-urlencoded')) return Promise.resolve(null);
  if (typeof ctx.req.body === 'string') return Promise.resolve(new URLSearchParams(ctx.req.body));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    ctx.req.on('data', (c) => {
      n += c.length;
      if (n > MAX_BODY) { reject(Object.assign(new Error('request entity too large'), { status: 413, expose: true })); ctx.req.pause(); return; }
      chunks.push(c);
    });
    ctx.req.on('end', () => {
      ctx.req.body = Buffer.concat(chunks).toString('utf8');
      resolve(new URLSearchParams(ctx.req.body));
    });
    ctx.req.on('error', reject);
  });
}

// client_id per RFC 6749 section 2.3.1: from the Basic header (form-urlencoded
// before base64), else from the body.
function clientIdOf(ctx, form) {
  const auth = ctx.get('authorization');
  const m = /^basic\s+(\S+)$/i.exec(auth);
  if (m) {
    const raw = Buffer.from(m[1], 'base64').toString('utf8');
    const i = raw.indexOf(':');
    if (i > 0) {
      try { return decodeURIComponent(raw.slice(0, i).replace(/\+/g, ' ')); } catch { return null; }
    }
    return null;
  }
  return form?.get('client_id') ?? null;
}

const shortHash = (s) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 12);

// --------------------------------------------------------------- the server

const ROTATING_JWKS_PATH = '/test/jwks-rotating';
const LOGGED_PATHS = new Set([
  '/device/auth', '/token', '/token/introspection', '/token/revocation', '/me',
  '/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server',
  ROTATING_JWKS_PATH,
]);
const requestLog = [];

// GET /test/log/counts: the log's requests by kind.
function logCounts() {
  const n = { device_authorization: 0, device_code: 0, refresh_token: 0, token_other: 0 };
  for (const e of requestLog) {
    if (e.method !== 'POST') continue;
    if (e.path === '/device/auth') n.device_authorization += 1;
    else if (e.path !== '/token') continue;
    else if (e.grant_type === DEVICE_GRANT) n.device_code += 1;
    else if (e.grant_type === 'refresh_token') n.refresh_token += 1;
    else n.token_other += 1;
  }
  return n;
}

// POST /test/revoke-grants, /test/disable, /test/withhold-scope: form field username (a
// test account) and the knob's own fields; answer 200 with the account's state, or 400
// {error: "invalid_request", error_description}.
const flag = (form, name) => {
  const v = form.get(name);
  return v === '1' ? true : v === '0' ? false : null;
};
const accountState = (username) => ({
  username,
  disabled: disabledAccounts.has(username),
  withheld_scopes: [...withheldFor(username)].sort(),
});
const badRequest = (text) => ({ error: 'invalid_request', error_description: text });
const ACCOUNT_KNOBS = {
  async '/test/revoke-grants'(provider, username) {
    return { ...accountState(username), revoked_grants: await revokeGrantsOf(username) };
  },
  async '/test/disable'(provider, username, form) {
    const on = flag(form, 'disabled');
    if (on === null) return badRequest('disabled: must be 1 or 0');
    if (on) disabledAccounts.add(username); else disabledAccounts.delete(username);
    return accountState(username);
  },
  async '/test/withhold-scope'(provider, username, form) {
    const on = flag(form, 'withheld');
    const scope = form.get('scope') || '';
    if (on === null) return badRequest('withheld: must be 1 or 0');
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope) || scope === 'openid') {
      return badRequest('scope: one scope token, not openid');
    }
    const set = new Set(withheldFor(username));
    if (on) set.add(scope); else set.delete(scope);
    if (set.size) withheldScopes.set(username, set); else withheldScopes.delete(username);
    return accountState(username);
  },
};
// device_code -> { interval (s), last (ms, time of the previous poll), polls }
const pollState = new Map();

let connCounter = 0;
const CONN = Symbol('conn');
function connId(socket) {
  if (!socket) return null;
  if (socket[CONN] === undefined) socket[CONN] = ++connCounter;
  return socket[CONN];
}

function install(provider, signingKeys) {
  // /test/jwks-rotating: the real public JWKS, except that the first GET
  // after POST /test/jwks-rotating/stale gets a decoy (an unknown kid), made
  // by that POST so that the GET is as fast as any other.
  let staleJwks = null;

  // Test endpoints and the request log.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/test/log' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = requestLog;
      return;
    }
    if (ctx.path === '/test/log/reset' && ctx.method === 'POST') {
      requestLog.length = 0;
      ctx.status = 204;
      return;
    }
    if (ctx.path === '/test/log/counts' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = logCounts();
      return;
    }
    if (ACCOUNT_KNOBS[ctx.path] && ctx.method === 'POST') {
      const form = (await readForm(ctx)) || new URLSearchParams();
      ctx.set('Cache-Control', 'no-store');
      const username = form.get('username');
      if (username === null || !Object.hasOwn(ACCOUNTS, username)) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'username: not a test account' };
        return;
      }
      const answer = await ACCOUNT_KNOBS[ctx.path](provider, username, form);
      ctx.status = answer.error ? 400 : 200;
      ctx.body = answer;
      return;
    }
    if (ctx.path === `${ROTATING_JWKS_PATH}/stale` && ctx.method === 'POST') {
      staleJwks = await decoyJwks();
      ctx.status = 204;
      return;
    }
    if (!LOGGED_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const entry = {
      t_ms: nowMs(),
      method: ctx.method,
      path: ctx.path,
      client_id: null,
      grant_type: null,
      status: null,
      error: null,
      conn: connId(ctx.req.socket),
      // Test extras: a short hash of the device code (never the code itself),
      // and that code's polling interval after this request.
      device_code_hash: null,
      interval: null,
      // The same short hash of the refresh token of a refresh_token grant request, and
      // oidc-provider's reason for an invalid_grant (its error_detail, e.g. "refresh token
      // not found", "refresh token already used"; never a secret).
      refresh_token_hash: null,
      error_detail: null,
    };
    requestLog.push(entry);
    try {
      const form = await readForm(ctx);
      entry.client_id = clientIdOf(ctx, form);
      entry.grant_type = form?.get('grant_type') ?? null;
      const rt = form?.get('refresh_token');
      if (ctx.path === '/token' && rt) entry.refresh_token_hash = shortHash(rt);
      ctx.state.form = form;
      ctx.state.logEntry = entry;
      await next();
    } finally {
      entry.status = ctx.status;
      const b = ctx.body;
      if (b && typeof b === 'object' && !Buffer.isBuffer(b) && typeof b.error === 'string') entry.error = b.error;
    }
  });

  // RFC 8414 metadata: the same document as /.well-known/openid-configuration (same issuer).
  // oidc-provider 8 serves only the OpenID Connect path (9 serves both, but needs Node 22).
  provider.use(async (ctx, next) => {
    if (ctx.path === '/.well-known/oauth-authorization-server' && ctx.method === 'GET') {
      ctx.path = '/.well-known/openid-configuration';
    }
    await next();
  });

  // The rotating JWKS (logged above like the other endpoints).
  provider.use(async (ctx, next) => {
    if (ctx.path !== ROTATING_JWKS_PATH) { await next(); return; }
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      ctx.set('Allow', 'GET');
      return;
    }
    const jwks = staleJwks || publicJwks(signingKeys);
    staleJwks = null; // only one GET sees the decoy
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/jwk-set+json; charset=utf-8';
    ctx.body = jwks;
  });

  // pam-confused (deliberately hostile): introspection of its own tokens
  // answers with another client's client_id; the rest is oidc-provider's.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path !== '/token/introspection' || ctx.method !== 'POST' || ctx.status !== 200) return;
    // The authenticated client (set by oidc-provider's client authentication).
    const caller = ctx.oidc?.client?.clientId;
    const b = ctx.body;
    if (caller === CONFUSED_CLIENT && b && typeof b === 'object' && !Buffer.isBuffer(b)
        && b.active === true && b.client_id === CONFUSED_CLIENT) {
      b.client_id = CONFUSED_AS;
    }
  });

  // RFC 8628: announce the interval, and enforce it on the token endpoint.
  provider.use(async (ctx, next) => {
    const entry = ctx.state.logEntry;
    if (ctx.path === '/device/auth' && ctx.method === 'POST') {
      await next();
      const b = ctx.body;
      if (ctx.status === 200 && b && typeof b === 'object' && typeof b.device_code === 'string') {
        b.interval = INTERVAL;
        pollState.set(b.device_code, { interval: INTERVAL, last: null, polls: 0 });
        if (entry) { entry.device_code_hash = shortHash(b.device_code); entry.interval = INTERVAL; }
      }
      return;
    }
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const form = ctx.state.form;
      const dc = form?.get('device_code');
      if (form?.get('grant_type') === DEVICE_GRANT && dc) {
        let st = pollState.get(dc);
        if (!st) { st = { interval: INTERVAL, last: null, polls: 0 }; pollState.set(dc, st); }
        const now = nowMs();
        const firstSlowPoll = st.polls === 0 && entry?.client_id === 'pam-slow';
        const tooSoon = st.last !== null && now - st.last < st.interval * 1000 - TOLERANCE_MS;
        st.polls += 1;
        st.last = now;
        if (entry) entry.device_code_hash = shortHash(dc);
        if (firstSlowPoll || tooSoon) {
          st.interval += SLOW_DOWN_STEP;
          if (entry) entry.interval = st.interval;
          ctx.status = 400;
          ctx.set('Cache-Control', 'no-store');
          ctx.set('Pragma', 'no-cache');
          ctx.body = {
            error: 'slow_down',
            error_description: `polling too fast; the interval is now ${st.interval} s`,
          };
          return;
        }
        if (entry) entry.interval = st.interval;
      }
    }
    await next();
  });

  // Login and consent pages (interactions).
  provider.use(async (ctx, next) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm))?$/.exec(ctx.path);
    if (!m) { await next(); return; }
    const [, uid, action] = m;
    try {
      await interaction(provider, ctx, uid, action);
    } catch (err) {
      const name = err?.name || 'Error';
      sendHtml(ctx, err?.statusCode || 400, 'Error',
        `<p class="error" id="error">${esc(name)}: ${esc(err?.error_description || err?.message)}</p>`);
    }
  });
}

function loginForm(uid, details, errorText, login) {
  const { params } = details;
  return `<p>Client <b>${esc(params.client_id)}</b> requests: <span id="scope">${esc(params.scope || '')}</span></p>
${errorText ? `<p class="error" id="error">${esc(errorText)}</p>` : ''}
<form id="login" method="post" action="/interaction/${esc(uid)}/login">
<p><label>User name <input type="text" name="login" value="${esc(login || '')}" autocomplete="username" autofocus></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password"></label></p>
<p><label>One-time code (optional) <input type="text" name="otp" autocomplete="one-time-code"></label></p>
<p><button type="submit">Sign in</button></p>
</form>`;
}

function consentForm(uid, details) {
  const { params, session } = details;
  return `<p>Signed in as <b id="account">${esc(session?.accountId)}</b>.</p>
<p>Client <b>${esc(params.client_id)}</b> requests: <span id="scope">${esc(params.scope || '')}</span></p>
${params.resource ? `<p>Resource: ${esc([].concat(params.resource).join(' '))}</p>` : ''}
<form id="consent" method="post" action="/interaction/${esc(uid)}/confirm">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`;
}

async function finish(provider, ctx, result, merge) {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.redirect(to);
  ctx.status = 303;
}

async function interaction(provider, ctx, uid, action) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) throw Object.assign(new Error('interaction mismatch'), { statusCode: 400 });
  const prompt = details.prompt.name;

  if (!action) {
    if (ctx.method !== 'GET') throw Object.assign(new Error('method not allowed'), { statusCode: 405 });
    if (prompt === 'login') return sendHtml(ctx, 200, 'Sign in', loginForm(uid, details));
    if (prompt === 'consent') return sendHtml(ctx, 200, 'Authorize', consentForm(uid, details));
    throw Object.assign(new Error(`unsupported prompt ${prompt}`), { statusCode: 500 });
  }

  if (ctx.method !== 'POST') throw Object.assign(new Error('method not allowed'), { statusCode: 405 });
  const form = (await readForm(ctx)) || new URLSearchParams();

  if (action === 'login') {
    if (prompt !== 'login') throw Object.assign(new Error('not at the login step'), { statusCode: 400 });
    const login = form.get('login') || '';
    const password = form.get('password') || '';
    const acct = Object.hasOwn(ACCOUNTS, login) ? ACCOUNTS[login] : null;
    if (!acct || acct.password !== password) {
      return sendHtml(ctx, 200, 'Sign in', loginForm(uid, details, 'Invalid user name or password.', login));
    }
    // The second factor: with the account's one-time code the sign-in is MFA (RFC 8176
    // amr otp + mfa), else a password alone. auth_age (tests only) dates the sign-in that
    // many seconds back, as a session remembered from long ago would be.
    const otp = form.get('otp') || '';
    if (otp && otp !== `${login}-otp`) {
      return sendHtml(ctx, 200, 'Sign in', loginForm(uid, details, 'Invalid one-time code.', login));
    }
    if (disabledAccounts.has(login)) {
      return sendHtml(ctx, 200, 'Sign in', loginForm(uid, details, 'This account is disabled.', login));
    }
    const factors = otp ? SIGN_IN_FACTORS.mfa : SIGN_IN_FACTORS.pwd;
    const age = Number.parseInt(form.get('auth_age') || '0', 10);
    const ts = Math.floor(Date.now() / 1000) - (Number.isFinite(age) && age > 0 ? age : 0);
    return finish(provider, ctx, { login: { accountId: login, amr: factors.amr, acr: factors.acr, ts } }, false);
  }

  // action === 'confirm'
  if (prompt !== 'consent') throw Object.assign(new Error('not at the consent step'), { statusCode: 400 });
  const decision = form.get('decision');
  if (decision === 'deny') {
    return finish(provider, ctx, {
      error: 'access_denied', error_description: 'End-User denied the authorization request',
    }, false);
  }
  if (decision !== 'allow') throw Object.assign(new Error('decision must be allow or deny'), { statusCode: 400 });

  const accountId = details.session.accountId;
  const denied = new Set(ACCOUNTS[accountId]?.deniedScopes || []);
  const split = (scopes) => [scopes.filter((s) => !denied.has(s)), scopes.filter((s) => denied.has(s))];

  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const d = details.prompt.details;
  if (d.missingOIDCScope) {
    const [ok, no] = split(d.missingOIDCScope);
    if (ok.length) grant.addOIDCScope(ok.join(' '));
    if (no.length) grant.rejectOIDCScope(no.join(' '));
  }
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  if (d.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) {
      const [ok, no] = split(scopes);
      if (ok.length) grant.addResourceScope(indicator, ok.join(' '));
      if (no.length) grant.rejectResourceScope(indicator, no.join(' '));
    }
  }
  const grantId = await grant.save();
  return finish(provider, ctx, { consent: { grantId } }, true);
}

// ------------------------------------------------------------------- start

let handler = (req, res) => { res.statusCode = 503; res.end(); };
const server = https.createServer({
  cert: fs.readFileSync(env.IDP_CERT),
  key: fs.readFileSync(env.IDP_KEY),
}, (req, res) => handler(req, res));
server.on('secureConnection', (socket) => connId(socket));
// Keep idle connections open long enough for clients that poll every few
// seconds to reuse them (Node's default is 5 s).
server.keepAliveTimeout = 60_000;
server.on('error', (err) => fail(`listen: ${err.message}`));

server.listen(Number(env.IDP_PORT), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `https://127.0.0.1:${port}`;
  const signingKeys = makeSigningKeys();
  const provider = new Provider(issuer, providerConfig(signingKeys));
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err?.stack || err}\n`));
  provider.on('grant.error', (ctx, err) => {
    const entry = ctx?.state?.logEntry;
    if (entry && typeof err?.error_detail === 'string') entry.error_detail = err.error_detail;
  });
  honourWithheldScopes(provider);
  install(provider, signingKeys);
  handler = provider.callback();
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
