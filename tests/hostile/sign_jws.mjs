// Signs JWS for the hostile-IdP tests with Node's built-in crypto (no npm packages).
// stdin: {"keys": {"NAME": "PEM private key", ...},
//         "tokens": [{"header": {...}, "payload": {...}, "key": "NAME" | null, "mode": "sign"|"hmac-public"|"none"}]}
// stdout: {"tokens": ["a.b.c", ...], "jwks": {"NAME": {public JWK}, ...}}
import crypto from 'node:crypto';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (d) => { text += d; });
  process.stdin.on('end', () => resolve(text));
}));

const keys = {};
const jwks = {};
for (const [name, pem] of Object.entries(input.keys || {})) {
  keys[name] = crypto.createPrivateKey(pem);
  jwks[name] = crypto.createPublicKey(keys[name]).export({ format: 'jwk' });
}

function sign(token) {
  const signingInput = `${b64u(JSON.stringify(token.header))}.${b64u(JSON.stringify(token.payload))}`;
  const alg = token.header.alg;
  if (token.mode === 'none') return `${signingInput}.`;
  if (token.mode === 'hmac-public') {
    // The classic forgery: HMAC keyed with the verifier's public key (its PEM text).
    const pub = crypto.createPublicKey(keys[token.key]).export({ type: 'spki', format: 'pem' });
    const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
    return `${signingInput}.${b64u(crypto.createHmac(hash, pub).update(signingInput).digest())}`;
  }
  const key = keys[token.key];
  let sig;
  if (alg.startsWith('RS')) {
    sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(signingInput), key);
  } else if (alg.startsWith('PS')) {
    sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(signingInput),
      { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  } else if (alg.startsWith('ES')) {
    sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  } else if (alg === 'EdDSA') {
    sig = crypto.sign(null, Buffer.from(signingInput), key);
  } else {
    throw new Error(`unknown alg ${alg}`);
  }
  return `${signingInput}.${b64u(sig)}`;
}

process.stdout.write(JSON.stringify({ tokens: (input.tokens || []).map(sign), jwks }));
