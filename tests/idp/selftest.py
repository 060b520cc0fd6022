#!/usr/bin/python3
"""Self-test of the test IdP: runs the device flow end to end for each client
and checks the RFC 8628 polling behaviour, the request log, the signing keys
(ID-token and JWT signatures are checked with `node`, as Python's standard
library cannot), the rotating JWKS, the wrong-audience and introspection knobs.

    /usr/bin/python3 tests/idp/selftest.py [WORKDIR]

Needs `npm ci` in tests/idp. Prints one line per check and then
"N passed, N failed"; exits non-zero on any failure.
"""

import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from approve import ApprovalError  # noqa: E402
from idp_fixture import TestIdP  # noqa: E402

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
BASIC_SECRET = "s3cr3t:with/special+chars&=%"
POST_SECRET = "post-secret-123"
CONFUSED_SECRET = "confused-secret"
JWT_RESOURCE = "urn:pam-oauth2:test"

# How each client authenticates: (form fields, basic credentials).
AUTH = {
    "pam-public": ({"client_id": "pam-public"}, None),
    "pam-short": ({"client_id": "pam-short"}, None),
    "pam-slow": ({"client_id": "pam-slow"}, None),
    "pam-post": ({"client_id": "pam-post", "client_secret": POST_SECRET}, None),
    "pam-basic": ({}, ("pam-basic", BASIC_SECRET)),
    "pam-es256": ({"client_id": "pam-es256"}, None),
    "pam-wrong-aud": ({"client_id": "pam-wrong-aud"}, None),
    "pam-confused": ({}, ("pam-confused", CONFUSED_SECRET)),
}

# Claims every ID token has; and the introspection fields of an active token.
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat")
INTROSPECTION_FIELDS = ("active", "scope", "client_id", "exp", "sub", "iss")

results = {"passed": 0, "failed": 0}


def check(name):
    def wrap(fn):
        def run(*args):
            t0 = time.monotonic()
            try:
                fn(*args)
            except Exception:  # noqa: BLE001
                results["failed"] += 1
                print(f"FAIL {name} ({time.monotonic() - t0:.1f} s)")
                traceback.print_exc(file=sys.stdout)
            else:
                results["passed"] += 1
                print(f"ok   {name} ({time.monotonic() - t0:.1f} s)")
        run.__name__ = fn.__name__
        return run
    return wrap


def expect(cond, what, detail=None):
    if not cond:
        raise AssertionError(what + (f": {detail!r}" if detail is not None else ""))


class Flow:
    """One device authorization for a client."""

    def __init__(self, idp, client, scope, **extra):
        self.idp, self.client = idp, client
        form, self.basic = AUTH[client]
        self.form = dict(form)
        status, body = idp.request("POST", "/device/auth", {**self.form, "scope": scope, **extra},
                                   basic=self.basic)
        expect(status == 200, "device/auth status 200", (status, body))
        self.resp = body
        self.device_code = body["device_code"]
        self.user_code = body["user_code"]
        self.interval = body.get("interval")

    def poll(self):
        return self.idp.request("POST", "/token", {**self.form, "grant_type": DEVICE_GRANT,
                                                   "device_code": self.device_code}, basic=self.basic)

    def poll_until_done(self, limit=30):
        """Polls at the announced interval (slowing down when told) until a
        final answer: returns (status, body)."""
        interval = self.interval
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            time.sleep(interval)
            status, body = self.poll()
            err = body.get("error") if isinstance(body, dict) else None
            if err == "authorization_pending":
                continue
            if err == "slow_down":
                interval += 5
                continue
            return status, body
        raise AssertionError("polling did not finish")


def approve_and_get_token(idp, client, scope, login, **extra):
    f = Flow(idp, client, scope, **extra)
    expect(f.interval == 1, "device/auth has interval 1", f.resp)
    idp.approve(f.user_code, login, f"{login}-pw")
    status, body = f.poll_until_done()
    expect(status == 200 and "access_token" in body, "token response", (status, body))
    return f, body


def refresh(idp, client, refresh_token, **extra):
    form, basic = AUTH[client]
    return idp.request("POST", "/token", {**form, "grant_type": "refresh_token",
                                          "refresh_token": refresh_token, **extra}, basic=basic)


def knob(idp, path, **form):
    """POST /test/<knob>; expects 200 and returns the answer."""
    status, body = idp.request("POST", path, form)
    expect(status == 200, f"{path} 200", (status, body))
    return body


def last_token_entry(idp):
    return [e for e in idp.log() if e["path"] == "/token"][-1]


def userinfo(idp, token):
    return idp.request("GET", "/me", bearer=token)


def introspect(idp, client, token):
    form, basic = AUTH[client]
    return idp.request("POST", "/token/introspection", {**form, "token": token}, basic=basic)


def jwt_parts(token):
    def dec(p):
        return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    h, p, _ = token.split(".")
    return dec(h), dec(p)


# Python's standard library cannot check RS256/ES256 signatures; Node.js (which
# runs the IdP anyway) can. Prints "true" or "false".
_VERIFY_JS = r"""
const crypto = require('node:crypto');
const { jwk, token } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const [h, p, s] = token.split('.');
const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
const alg = JSON.parse(Buffer.from(h, 'base64url')).alg;
const opts = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
if (!['RS256', 'ES256'].includes(alg) || alg !== jwk.alg) { console.log('false'); process.exit(0); }
console.log(String(crypto.verify('sha256', Buffer.from(`${h}.${p}`), opts, Buffer.from(s, 'base64url'))));
"""


def signature_ok(jwk, token):
    node = shutil.which("node") or "/usr/bin/node"
    r = subprocess.run([node, "-e", _VERIFY_JS], input=json.dumps({"jwk": jwk, "token": token}),
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise AssertionError(f"node verify failed: {r.stderr}")
    return r.stdout.strip() == "true"


def tampered(token):
    """The same JWT with one bit of its signature flipped."""
    h, p, s = token.split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    sig[len(sig) // 2] ^= 1
    return f"{h}.{p}." + base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()


def check_id_token(idp, token, client, alg):
    """Header alg/kid, the kid's key in /jwks, the signature, standard claims.
    Returns (header, payload)."""
    h, p = jwt_parts(token)
    expect(h["alg"] == alg and h.get("kid"), f"ID token header alg {alg} with kid", h)
    status, jwks = idp.request("GET", "/jwks")
    keys = [k for k in jwks["keys"] if k["kid"] == h["kid"]]
    expect(status == 200 and len(keys) == 1 and keys[0]["alg"] == alg, "kid in /jwks with that alg", (h, jwks))
    expect(signature_ok(keys[0], token), "signature verifies with the /jwks key", h)
    expect(not signature_ok(keys[0], tampered(token)), "tampered signature fails", h)
    for c in ID_TOKEN_CLAIMS:
        expect(c in p, f"ID token has {c}", p)
    now = time.time()
    expect(p["iss"] == idp.issuer and p["aud"] == client and p["sub"] == "alice"
           and p["iat"] <= now + 5 and p["exp"] > now and p["exp"] - p["iat"] == 3600, "ID token claims", p)
    return h, p


def run_all(idp):
    @check("discovery: issuer and endpoints")
    def _():
        status, meta = idp.request("GET", "/.well-known/openid-configuration")
        expect(status == 200 and meta["issuer"] == idp.issuer, "issuer", meta.get("issuer"))
        expect(meta["device_authorization_endpoint"] == idp.issuer + "/device/auth", "device endpoint")
        for s in ("openid", "profile", "email", "groups", "ssh:login", "sudo", "offline_access"):
            expect(s in meta["scopes_supported"], f"scope {s} supported")
    _()

    @check("TLS: server cert verifies against ca.pem only, not other-ca.pem")
    def _():
        ctx = ssl.create_default_context(cafile=idp.other_ca_file)
        try:
            urllib.request.urlopen(idp.issuer + "/jwks", context=ctx, timeout=5)
        except urllib.error.URLError as e:
            expect(isinstance(e.reason, ssl.SSLCertVerificationError), "verification error", e)
        else:
            raise AssertionError("other-ca.pem was accepted")
        ctx = ssl.create_default_context(cafile=idp.ca_file)
        ctx.check_hostname = True
        for host in ("127.0.0.1",):
            urllib.request.urlopen(f"https://{host}:{idp.port}/jwks", context=ctx, timeout=5).read()
    _()

    @check("pam-public: alice, openid profile ssh:login -> opaque token, /me, introspection")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid profile ssh:login", "alice")
        expect("ssh:login" in tok["scope"].split(), "scope has ssh:login", tok)
        expect(tok["access_token"].count(".") != 2, "opaque access token", tok["access_token"])
        status, ui = userinfo(idp, tok["access_token"])
        expect(status == 200 and ui["preferred_username"] == "alice", "userinfo alice", ui)
        expect("groups" not in ui, "no groups without the groups scope", ui)
        status, it = introspect(idp, "pam-public", tok["access_token"])
        expect(status == 200 and it["active"] is True and it["sub"] == "alice", "introspection", it)
    _()

    @check("pam-basic: client_secret_basic with form-urlencoded credentials; groups, email")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-basic", "openid profile email groups ssh:login", "alice")
        status, ui = userinfo(idp, tok["access_token"])
        expect(status == 200 and ui["preferred_username"] == "alice", "userinfo alice", ui)
        expect(ui["groups"] == ["admins", "staff"] and ui["email"] == "alice@example.com"
               and ui["email_verified"] is True, "claims", ui)
        status, it = introspect(idp, "pam-basic", tok["access_token"])
        expect(status == 200 and it["active"] is True, "introspection", it)
    _()

    @check("pam-basic: secret not form-urlencoded -> invalid_client")
    def _():
        raw = base64.b64encode(f"pam-basic:{BASIC_SECRET}".encode()).decode()
        req = urllib.request.Request(idp.issuer + "/device/auth", data=b"scope=openid",
                                     headers={"Authorization": "Basic " + raw})
        try:
            urllib.request.urlopen(req, context=ssl.create_default_context(cafile=idp.ca_file), timeout=5)
        except urllib.error.HTTPError as e:
            body = json.loads(e.read())
            expect(e.code in (400, 401) and body["error"] in ("invalid_client", "invalid_request"),
                   "rejected", (e.code, body))
        else:
            raise AssertionError("raw Basic credentials were accepted")
    _()

    @check("pam-post: client_secret_post; carol has empty groups")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-post", "openid profile groups ssh:login", "carol")
        status, ui = userinfo(idp, tok["access_token"])
        expect(status == 200 and ui["preferred_username"] == "carol" and ui["groups"] == [], "userinfo", ui)
        status, _b = idp.request("POST", "/device/auth", {"client_id": "pam-post",
                                                          "client_secret": "wrong", "scope": "openid"})
        expect(status == 401, "wrong secret refused", status)
    _()

    @check("bob: openid sudo ssh:login + Allow -> sudo not granted (token and introspection)")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-post", "openid sudo ssh:login", "bob")
        scopes = tok.get("scope", "").split()
        expect("sudo" not in scopes and "ssh:login" in scopes, "granted scope", tok.get("scope"))
        status, it = introspect(idp, "pam-post", tok["access_token"])
        expect(status == 200 and it["active"] and "sudo" not in it["scope"].split(), "introspection", it)
    _()

    @check("alice: sudo granted")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid sudo", "alice")
        expect("sudo" in tok["scope"].split(), "sudo granted", tok)
    _()

    @check("Deny -> access_denied")
    def _():
        f = Flow(idp, "pam-public", "openid ssh:login")
        idp.approve(f.user_code, "alice", "alice-pw", "deny")
        status, body = f.poll_until_done()
        expect(status == 400 and body["error"] == "access_denied", "access_denied", (status, body))
    _()

    @check("Abort on the code confirmation page -> access_denied")
    def _():
        f = Flow(idp, "pam-public", "openid")
        idp.approve(f.user_code, "alice", "alice-pw", "abort")
        status, body = f.poll_until_done()
        expect(status == 400 and body["error"] == "access_denied", "access_denied", (status, body))
    _()

    @check("wrong password and unknown user code raise ApprovalError")
    def _():
        f = Flow(idp, "pam-public", "openid")
        try:
            idp.approve(f.user_code, "alice", "not-the-password")
        except ApprovalError as e:
            expect("Invalid user name or password" in str(e), "error text", str(e))
        else:
            raise AssertionError("wrong password accepted")
        try:
            idp.approve("BCDF-GHJK", "alice", "alice-pw")
        except ApprovalError as e:
            expect("incorrect" in str(e), "error text", str(e))
        else:
            raise AssertionError("unknown code accepted")
    _()

    @check("resource=urn:pam-oauth2:test -> RS256 JWT access token (at+jwt)")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid profile ssh:login", "alice",
                                        resource="urn:pam-oauth2:test")
        h, p = jwt_parts(tok["access_token"])
        expect(h["alg"] == "RS256" and h["typ"] == "at+jwt", "header", h)
        expect(p["aud"] == "urn:pam-oauth2:test" and p["sub"] == "alice" and p["iss"] == idp.issuer
               and p["client_id"] == "pam-public" and "ssh:login" in p["scope"].split()
               and p["preferred_username"] == "alice", "claims", p)
        status, jwks = idp.request("GET", "/jwks")
        expect(any(k["kid"] == h["kid"] for k in jwks["keys"]), "kid in jwks", h)
    _()

    @check("/jwks: an RS256 and an ES256 (P-256) public key, use sig, distinct kids")
    def _():
        status, jwks = idp.request("GET", "/jwks")
        expect(status == 200, "status", status)
        keys = jwks["keys"]
        expect(sorted((k["kty"], k["alg"], k.get("crv")) for k in keys)
               == [("EC", "ES256", "P-256"), ("RSA", "RS256", None)], "key types", keys)
        expect(all(k["use"] == "sig" and k["kid"] for k in keys), "use sig and kid", keys)
        expect(len({k["kid"] for k in keys}) == 2, "distinct kids", keys)
        expect(not any(m in k for k in keys for m in ("d", "p", "q", "dp", "dq", "qi")), "public only", keys)
        status, meta = idp.request("GET", "/.well-known/openid-configuration")
        expect({"RS256", "ES256"} <= set(meta["id_token_signing_alg_values_supported"]), "algs announced", meta)
    _()

    @check("pam-public: RS256 ID token; openid profile -> openid's claims only (opaque AT)")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid profile", "alice")
        _h, p = check_id_token(idp, tok["id_token"], "pam-public", "RS256")
        expect("profile" in tok["scope"].split(), "profile granted", tok)
        # conformIdTokenClaims: profile's claims go to /me, not into the ID token; openid's
        # (sub, and preferred_username as this IdP releases it with openid) are in it.
        expect("name" not in p, "no profile claims", p)
        expect(p.get("preferred_username") == "alice", "openid's preferred_username", p)
    _()

    @check("pam-es256: ES256 ID token (kid in /jwks, signature); access tokens unchanged")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-es256", "openid profile ssh:login", "alice")
        _h, p = check_id_token(idp, tok["id_token"], "pam-es256", "ES256")
        expect("name" not in p, "no profile claims (opaque AT)", p)
        status, ui = userinfo(idp, tok["access_token"])
        expect(status == 200 and ui["preferred_username"] == "alice", "userinfo alice", ui)
        # With a resource the access token is a JWT (still RS256), and the ID
        # token then carries the profile claims (conformIdTokenClaims applies
        # only when the access token has no audience).
        _f, tok = approve_and_get_token(idp, "pam-es256", "openid profile ssh:login", "alice",
                                        resource=JWT_RESOURCE)
        _h, p = check_id_token(idp, tok["id_token"], "pam-es256", "ES256")
        expect(p.get("preferred_username") == "alice", "preferred_username with a resource", p)
        h, ap = jwt_parts(tok["access_token"])
        expect(h["alg"] == "RS256" and h["typ"] == "at+jwt" and ap["aud"] == JWT_RESOURCE, "JWT AT", (h, ap))
        status, jwks = idp.request("GET", "/jwks")
        key = [k for k in jwks["keys"] if k["kid"] == h["kid"]]
        expect(len(key) == 1 and signature_ok(key[0], tok["access_token"]), "JWT AT signature", h)
    _()

    @check("/test/jwks-rotating: real JWKS, one decoy GET after /stale, then real again; logged")
    def _():
        status, real = idp.request("GET", "/jwks")
        by_kid = lambda jwks: sorted(jwks["keys"], key=lambda k: k["kid"])  # noqa: E731
        idp.reset_log()
        seen = []
        status, body = idp.request("GET", "/test/jwks-rotating")
        seen.append(status)
        expect(status == 200 and by_kid(body) == by_kid(real), "real JWKS before /stale", body)
        status, _b = idp.request("POST", "/test/jwks-rotating/stale", {})
        expect(status == 204, "stale -> 204", status)
        status, decoy = idp.request("GET", "/test/jwks-rotating")
        seen.append(status)
        real_kids = {k["kid"] for k in real["keys"]}
        expect(status == 200 and len(decoy["keys"]) == 1, "decoy has one key", decoy)
        k = decoy["keys"][0]
        expect(k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k
               and k["kid"] not in real_kids and k["n"] not in {x.get("n") for x in real["keys"]},
               "decoy is an unknown public RSA key", k)
        for _i in range(2):
            status, body = idp.request("GET", "/test/jwks-rotating")
            seen.append(status)
            expect(status == 200 and by_kid(body) == by_kid(real), "real JWKS again", body)
        # A second /stale: again exactly one decoy, with a new kid.
        idp.request("POST", "/test/jwks-rotating/stale", {})
        status, decoy2 = idp.request("GET", "/test/jwks-rotating")
        seen.append(status)
        expect([x["kid"] for x in decoy2["keys"]] != [k["kid"]] and decoy2["keys"][0]["kid"] not in real_kids,
               "fresh decoy", decoy2)
        status, body = idp.request("GET", "/test/jwks-rotating")
        seen.append(status)
        expect(by_kid(body) == by_kid(real), "real JWKS after the second decoy", body)
        status, _b = idp.request("PUT", "/test/jwks-rotating", {})
        expect(status == 405, "PUT -> 405", status)
        log = [(e["method"], e["path"], e["status"]) for e in idp.log()]
        expect(log == [("GET", "/test/jwks-rotating", 200)] * len(seen) + [("PUT", "/test/jwks-rotating", 405)],
               "log: the GETs (and the PUT), not the /stale POSTs", log)
    _()

    @check("RFC 8414 /.well-known/oauth-authorization-server, /jwks, discovery: served and logged")
    def _():
        idp.reset_log()
        status, meta = idp.request("GET", "/.well-known/oauth-authorization-server")
        expect(status == 200 and meta["issuer"] == idp.issuer, "RFC 8414 metadata (the same document)",
               (status, meta))
        expect(meta["introspection_endpoint"] == idp.issuer + "/token/introspection"
               and meta["jwks_uri"] == idp.issuer + "/jwks", "endpoints", meta)
        status, oidc = idp.request("GET", "/.well-known/openid-configuration")
        expect(status == 200 and oidc == meta, "same document as openid-configuration", (status, oidc))
        status, _j = idp.request("GET", "/jwks")
        expect(status == 200, "jwks", status)
        log = [(e["method"], e["path"], e["status"], e["client_id"]) for e in idp.log()]
        expect(log == [("GET", "/.well-known/oauth-authorization-server", 200, None),
                       ("GET", "/.well-known/openid-configuration", 200, None),
                       ("GET", "/jwks", 200, None)], "log", log)
    _()

    @check("pam-wrong-aud: resource=urn:pam-oauth2:test -> JWT AT with aud urn:pam-oauth2:other")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-wrong-aud", "openid profile ssh:login sudo", "alice",
                                        resource=JWT_RESOURCE)
        h, p = jwt_parts(tok["access_token"])
        expect(h["alg"] == "RS256" and h["typ"] == "at+jwt", "header", h)
        expect(p["aud"] == "urn:pam-oauth2:other" and p["iss"] == idp.issuer and p["sub"] == "alice"
               and p["client_id"] == "pam-wrong-aud" and sorted(p["scope"].split()) == ["ssh:login", "sudo"]
               and p["preferred_username"] == "alice", "claims", p)
        status, jwks = idp.request("GET", "/jwks")
        key = [k for k in jwks["keys"] if k["kid"] == h["kid"]]
        expect(len(key) == 1 and signature_ok(key[0], tok["access_token"]), "signed with the /jwks RS256 key", h)
        check_id_token(idp, tok["id_token"], "pam-wrong-aud", "RS256")
        # bob is never granted sudo: same scope rules as for other clients.
        _f, tok = approve_and_get_token(idp, "pam-wrong-aud", "openid ssh:login sudo", "bob",
                                        resource=JWT_RESOURCE)
        _h, p = jwt_parts(tok["access_token"])
        expect(p["aud"] == "urn:pam-oauth2:other" and p["scope"].split() == ["ssh:login"], "bob: no sudo", p)
    _()

    @check("confidential clients introspect their own tokens: active, scope, client_id, exp, sub, iss")
    def _():
        for client in ("pam-basic", "pam-post", "pam-confused"):
            _f, tok = approve_and_get_token(idp, client, "openid profile ssh:login", "alice")
            status, it = introspect(idp, client, tok["access_token"])
            expect(status == 200, f"{client}: status 200", (status, it))
            for field in INTROSPECTION_FIELDS:
                expect(field in it, f"{client}: introspection has {field}", it)
            want_cid = "pam-someone-else" if client == "pam-confused" else client
            expect(it["active"] is True and it["client_id"] == want_cid and it["sub"] == "alice"
                   and it["iss"] == idp.issuer and "ssh:login" in it["scope"].split()
                   and it["exp"] > time.time(), f"{client}: values", it)
            # oidc-provider does not put the user name into introspection answers.
            expect("username" not in it and "preferred_username" not in it, f"{client}: no username", it)
    _()

    @check("pam-confused: introspection of its own token says client_id pam-someone-else, nothing else differs")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-confused", "openid ssh:login", "alice")
        status, lie = introspect(idp, "pam-confused", tok["access_token"])
        status2, truth = introspect(idp, "pam-basic", tok["access_token"])
        expect(status == 200 and status2 == 200, "status", (status, status2))
        expect(truth["client_id"] == "pam-confused" and lie["client_id"] == "pam-someone-else", "client_id", (lie, truth))
        expect({**lie, "client_id": "pam-confused"} == truth, "rest unchanged", (lie, truth))
        # Other clients' tokens introspected by pam-confused are not rewritten.
        _f, other = approve_and_get_token(idp, "pam-public", "openid ssh:login", "alice")
        status, it = introspect(idp, "pam-confused", other["access_token"])
        expect(status == 200 and it["active"] is True and it["client_id"] == "pam-public", "other client's token", it)
        # An unknown token stays {"active": false}.
        status, it = introspect(idp, "pam-confused", "not-a-token")
        expect(status == 200 and it == {"active": False}, "inactive", it)
        # Wrong secret: refused as usual.
        status, it = idp.request("POST", "/token/introspection", {"token": tok["access_token"]},
                                 basic=("pam-confused", "wrong"))
        expect(status == 401 and it["error"] == "invalid_client", "wrong secret", (status, it))
    _()

    @check("offline_access -> refresh token that works")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid offline_access", "alice")
        expect("refresh_token" in tok, "refresh token", tok)
        status, body = idp.request("POST", "/token", {"client_id": "pam-public", "grant_type": "refresh_token",
                                                      "refresh_token": tok["refresh_token"]})
        expect(status == 200 and "access_token" in body, "refresh", (status, body))
    _()

    @check("offline_access: pam-public, pam-basic, pam-post get refresh tokens; rotation; narrowing")
    def _():
        for client, rotates in (("pam-public", True), ("pam-basic", False), ("pam-post", False)):
            _f, tok = approve_and_get_token(idp, client, "openid ssh:login sudo offline_access", "alice")
            expect("refresh_token" in tok and "offline_access" in tok["scope"].split(), f"{client}: refresh token", tok)
            status, body = refresh(idp, client, tok["refresh_token"])
            expect(status == 200 and body["access_token"] != tok["access_token"]
                   and sorted(body["scope"].split()) == ["offline_access", "openid", "ssh:login", "sudo"]
                   and "id_token" in body, f"{client}: refresh", (status, body))
            # oidc-provider's default rotateRefreshToken: public clients get a new refresh
            # token each time; confidential ones keep theirs (until 70 % of its TTL).
            expect((body["refresh_token"] != tok["refresh_token"]) == rotates, f"{client}: rotation", body)
            status, it = introspect(idp, client, body["access_token"])
            expect(status == 200 and it["active"] and "sudo" in it["scope"].split(), f"{client}: introspection", it)
            # A refresh may narrow the scope, never widen it.
            status, narrow = refresh(idp, client, body["refresh_token"], scope="openid ssh:login")
            expect(status == 200 and narrow["scope"] == "openid ssh:login", f"{client}: narrower scope", narrow)
            status, wide = refresh(idp, client, narrow["refresh_token"], scope="openid groups")
            expect(status == 400 and wide["error"] == "invalid_scope", f"{client}: wider scope", (status, wide))
        # Without offline_access: no refresh token (unchanged behaviour).
        _f, tok = approve_and_get_token(idp, "pam-basic", "openid ssh:login", "alice")
        expect("refresh_token" not in tok, "no refresh token without offline_access", tok)
        # bob's never-granted sudo stays out of refreshed tokens.
        _f, tok = approve_and_get_token(idp, "pam-post", "openid ssh:login sudo offline_access", "bob")
        status, body = refresh(idp, "pam-post", tok["refresh_token"])
        expect(status == 200 and "sudo" not in body["scope"].split(), "bob: no sudo after refresh", body)
    _()

    @check("pam-public: reusing a rotated-away refresh token -> invalid_grant, whole grant revoked")
    def _():
        _f, tok = approve_and_get_token(idp, "pam-public", "openid ssh:login offline_access", "alice")
        status, new = refresh(idp, "pam-public", tok["refresh_token"])
        expect(status == 200 and new["refresh_token"] != tok["refresh_token"], "rotated", new)
        status, body = refresh(idp, "pam-public", tok["refresh_token"])
        expect(status == 400 and body["error"] == "invalid_grant", "reuse refused", (status, body))
        expect(last_token_entry(idp)["error_detail"] == "refresh token already used", "reason logged",
               last_token_entry(idp))
        status, body = refresh(idp, "pam-public", new["refresh_token"])
        expect(status == 400 and body["error"] == "invalid_grant", "the new refresh token is revoked too",
               (status, body))
        _s, it = introspect(idp, "pam-public", new["access_token"])
        expect(it == {"active": False}, "the access token of the rotated chain is revoked", it)
    _()

    @check("/test/revoke-grants: that account's refreshes -> invalid_grant; others untouched")
    def _():
        grants = {}
        for client in ("pam-public", "pam-basic"):
            _f, grants[client] = approve_and_get_token(idp, client, "openid ssh:login offline_access", "carol")
        _f, other = approve_and_get_token(idp, "pam-post", "openid ssh:login offline_access", "dave")
        answer = knob(idp, "/test/revoke-grants", username="carol")
        expect(answer["username"] == "carol" and answer["revoked_grants"] >= 2, "answer", answer)
        for client, tok in grants.items():
            status, body = refresh(idp, client, tok["refresh_token"])
            expect(status == 400 and body["error"] == "invalid_grant", f"{client}: refresh refused", (status, body))
            expect(last_token_entry(idp)["error_detail"] == "refresh token not found", "reason", last_token_entry(idp))
            _s, it = introspect(idp, "pam-basic", tok["access_token"])
            expect(it == {"active": False}, f"{client}: access token revoked too", it)
        status, body = refresh(idp, "pam-post", other["refresh_token"])
        expect(status == 200, "dave's grant untouched", (status, body))
        # A new login after the revocation works and refreshes.
        _f, tok = approve_and_get_token(idp, "pam-basic", "openid offline_access", "carol")
        status, body = refresh(idp, "pam-basic", tok["refresh_token"])
        expect(status == 200, "new grant refreshes", (status, body))
        status, body = idp.request("POST", "/test/revoke-grants", {"username": "nobody"})
        expect(status == 400 and body["error"] == "invalid_request", "unknown account", (status, body))
    _()

    @check("/test/disable: refresh -> invalid_grant, no new approval, approved poll refused; 0 undoes it")
    def _():
        _f, pub = approve_and_get_token(idp, "pam-public", "openid ssh:login offline_access", "dave")
        _f, conf = approve_and_get_token(idp, "pam-basic", "openid ssh:login offline_access", "dave")
        approved = Flow(idp, "pam-post", "openid ssh:login")
        idp.approve(approved.user_code, "dave", "dave-pw")
        try:
            answer = knob(idp, "/test/disable", username="dave", disabled="1")
            expect(answer == {"username": "dave", "disabled": True, "withheld_scopes": []}, "answer", answer)
            for client, tok in (("pam-public", pub), ("pam-basic", conf)):
                status, body = refresh(idp, client, tok["refresh_token"])
                expect(status == 400 and body["error"] == "invalid_grant", f"{client}: refresh refused", (status, body))
                expect(last_token_entry(idp)["error_detail"] == "refresh token invalid (referenced account not found)",
                       "reason", last_token_entry(idp))
            status, body = userinfo(idp, conf["access_token"])
            expect(status == 401 and body["error"] == "invalid_token", "/me refused", (status, body))
            status, body = approved.poll_until_done()
            expect(status == 400 and body["error"] == "invalid_grant", "approved before, polled after", (status, body))
            f = Flow(idp, "pam-public", "openid")
            try:
                idp.approve(f.user_code, "dave", "dave-pw")
            except ApprovalError as e:
                expect("This account is disabled." in str(e), "sign-in refused", str(e))
            else:
                raise AssertionError("a disabled account signed in")
        finally:
            answer = knob(idp, "/test/disable", username="dave", disabled="0")
        expect(answer["disabled"] is False, "enabled again", answer)
        # Not revoked, only refused while disabled (a confidential client's token is not rotated;
        # the public one was not rotated either, as the refresh failed before that).
        for client, tok in (("pam-public", pub), ("pam-basic", conf)):
            status, body = refresh(idp, client, tok["refresh_token"])
            expect(status == 200, f"{client}: refresh works again", (status, body))
        status, body = idp.request("POST", "/test/disable", {"username": "dave", "disabled": "yes"})
        expect(status == 400 and body["error"] == "invalid_request", "disabled must be 1 or 0", (status, body))
    _()

    @check("/test/withhold-scope: refreshed and new tokens lack the scope; 0 gives it back")
    def _():
        _f, conf = approve_and_get_token(idp, "pam-basic", "openid profile ssh:login sudo offline_access", "alice")
        _f, jwt = approve_and_get_token(idp, "pam-public", "openid ssh:login sudo offline_access", "alice",
                                        resource=JWT_RESOURCE)
        try:
            answer = knob(idp, "/test/withhold-scope", username="alice", scope="sudo", withheld="1")
            expect(answer == {"username": "alice", "disabled": False, "withheld_scopes": ["sudo"]}, "answer", answer)
            status, body = refresh(idp, "pam-basic", conf["refresh_token"])
            expect(status == 200 and sorted(body["scope"].split()) == ["offline_access", "openid", "profile", "ssh:login"],
                   "refreshed scope lacks sudo", (status, body))
            _s, it = introspect(idp, "pam-basic", body["access_token"])
            expect(it["active"] and "sudo" not in it["scope"].split() and "ssh:login" in it["scope"].split(),
                   "introspection lacks sudo", it)
            # The refresh token itself still carries what was first granted (a refresh can
            # only narrow); the access tokens issued from it do not.
            _s, it = introspect(idp, "pam-basic", conf["refresh_token"])
            expect(it["active"] and "sudo" in it["scope"].split(), "refresh token unchanged", it)
            status, body = refresh(idp, "pam-public", jwt["refresh_token"])
            _h, p = jwt_parts(body["access_token"])
            expect(status == 200 and body["scope"] == "ssh:login" and p["scope"] == "ssh:login", "JWT: no sudo", (body, p))
            jwt["refresh_token"] = body["refresh_token"]  # rotated
            # A new approval (Allow) does not get it either, nor does another account lose it.
            _f, tok = approve_and_get_token(idp, "pam-post", "openid ssh:login sudo offline_access", "alice")
            expect("sudo" not in tok["scope"].split(), "new device flow lacks sudo", tok)
            _f, tok = approve_and_get_token(idp, "pam-post", "openid sudo", "dave")
            expect("sudo" in tok["scope"].split(), "dave still has sudo", tok)
        finally:
            answer = knob(idp, "/test/withhold-scope", username="alice", scope="sudo", withheld="0")
        expect(answer["withheld_scopes"] == [], "cleared", answer)
        status, body = refresh(idp, "pam-basic", conf["refresh_token"])
        expect(status == 200 and "sudo" in body["scope"].split(), "sudo back after withheld=0", body)
        status, body = refresh(idp, "pam-public", jwt["refresh_token"])
        expect(status == 200 and sorted(body["scope"].split()) == ["ssh:login", "sudo"], "JWT: sudo back", body)
        for form in ({"username": "alice", "scope": "openid", "withheld": "1"},
                     {"username": "alice", "scope": "sudo ssh:login", "withheld": "1"},
                     {"username": "alice", "scope": "sudo", "withheld": "2"},
                     {"username": "eve", "scope": "sudo", "withheld": "1"}):
            status, body = idp.request("POST", "/test/withhold-scope", form)
            expect(status == 400 and body["error"] == "invalid_request", f"refused: {form}", (status, body))
    _()

    @check("/test/log/counts and refresh_token_hash: device authorizations, polls, refreshes")
    def _():
        idp.reset_log()
        expect(idp.request("GET", "/test/log/counts") == (200, {"device_authorization": 0, "device_code": 0,
                                                                 "refresh_token": 0, "token_other": 0}), "zero")
        f, tok = approve_and_get_token(idp, "pam-basic", "openid offline_access", "alice")
        polls = len([e for e in idp.log() if e["grant_type"] == DEVICE_GRANT])
        refresh(idp, "pam-basic", tok["refresh_token"])
        refresh(idp, "pam-basic", "not-a-refresh-token")
        idp.request("POST", "/token", {"grant_type": "client_credentials"}, basic=("pam-basic", BASIC_SECRET))
        status, counts = idp.request("GET", "/test/log/counts")
        expect(status == 200 and counts == {"device_authorization": 1, "device_code": polls, "refresh_token": 2,
                                            "token_other": 1}, "counts", (counts, polls))
        refreshes = [e for e in idp.log() if e["grant_type"] == "refresh_token"]
        want = hashlib.sha256(tok["refresh_token"].encode()).hexdigest()[:12]
        expect(refreshes[0]["refresh_token_hash"] == want and refreshes[0]["status"] == 200
               and refreshes[0]["error_detail"] is None, "first refresh logged", refreshes[0])
        expect(refreshes[1]["error"] == "invalid_grant" and refreshes[1]["error_detail"] == "refresh token not found",
               "second refresh logged", refreshes[1])
        expect(tok["refresh_token"] not in json.dumps(idp.log()), "no refresh token in the log")
    _()

    @check("pam-short: after 5 s -> expired_token")
    def _():
        f = Flow(idp, "pam-short", "openid")
        expect(f.resp["expires_in"] == 4, "expires_in 4", f.resp)
        time.sleep(5)
        status, body = f.poll()
        expect(status == 400 and body["error"] == "expired_token", "expired_token", (status, body))
    _()

    @check("pam-slow: first poll -> slow_down (HTTP 400), interval +5, then pending")
    def _():
        idp.reset_log()
        f = Flow(idp, "pam-slow", "openid")
        status, body = f.poll()
        expect(status == 400 and body == {"error": "slow_down", "error_description": body.get("error_description")},
               "slow_down", (status, body))
        time.sleep(6.1)
        status, body = f.poll()
        expect(status == 400 and body["error"] == "authorization_pending", "pending after 6 s", (status, body))
        polls = [e for e in idp.log() if e["path"] == "/token"]
        expect([e["interval"] for e in polls] == [6, 6], "intervals in log", polls)
    _()

    @check("polling twice within the interval -> slow_down, interval becomes 6")
    def _():
        idp.reset_log()
        f = Flow(idp, "pam-public", "openid")
        s1, b1 = f.poll()
        expect(b1.get("error") == "authorization_pending", "first poll pending", b1)
        s2, b2 = f.poll()
        expect(s2 == 400 and b2["error"] == "slow_down", "second poll slow_down", (s2, b2))
        time.sleep(2)  # more than the old interval (1 s), less than the new one (6 s)
        s3, b3 = f.poll()
        expect(s3 == 400 and b3["error"] == "slow_down", "still too fast for 6 s", (s3, b3))
        time.sleep(11.1 - 0)  # interval is 11 s now
        s4, b4 = f.poll()
        expect(b4.get("error") == "authorization_pending", "on time again", (s4, b4))
        polls = [e for e in idp.log() if e["path"] == "/token"]
        expect([(e["error"], e["interval"]) for e in polls] == [
            ("authorization_pending", 1), ("slow_down", 6), ("slow_down", 11), ("authorization_pending", 11)],
            "log", polls)
        gaps = [b["t_ms"] - a["t_ms"] for a, b in zip(polls, polls[1:])]
        expect(gaps[0] < 1000 and 2000 <= gaps[1] < 6000 and gaps[2] >= 11000, "timing", gaps)
    _()

    @check("polling at the interval -> no slow_down")
    def _():
        f = Flow(idp, "pam-public", "openid")
        for _i in range(3):
            status, body = f.poll()
            expect(body.get("error") == "authorization_pending", "pending", (status, body))
            time.sleep(1.0)
    _()

    @check("request log: fields, client ids, connections, no secrets")
    def _():
        idp.reset_log()
        expect(idp.log() == [], "log empty after reset")
        _f, tok = approve_and_get_token(idp, "pam-basic", "openid profile", "alice")
        userinfo(idp, tok["access_token"])
        introspect(idp, "pam-basic", tok["access_token"])
        log = idp.log()
        paths = [e["path"] for e in log]
        expect(paths == ["/device/auth", "/token", "/me", "/token/introspection"], "paths", paths)
        keys = {"t_ms", "method", "path", "client_id", "grant_type", "status", "error", "conn"}
        for e in log:
            expect(keys <= set(e), "fields", e)
        expect([e["client_id"] for e in log] == ["pam-basic", "pam-basic", None, "pam-basic"], "client ids", log)
        expect(log[1]["grant_type"] == DEVICE_GRANT and log[1]["status"] == 200 and log[1]["error"] is None,
               "token entry", log[1])
        expect(all(isinstance(e["conn"], int) for e in log), "conn ids", log)
        expect(len({e["conn"] for e in log}) == 4, "urllib opens one connection per request", log)
        ts = [e["t_ms"] for e in log]
        expect(ts == sorted(ts) and all(isinstance(t, float) for t in ts), "monotonic float t_ms", ts)
        text = json.dumps(log)
        for secret in (BASIC_SECRET, "alice-pw", tok["access_token"], _f.device_code):
            expect(secret not in text, "no secret in the log")
    _()


def main():
    workdir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="idp-selftest-")
    own = len(sys.argv) <= 1
    try:
        idp = TestIdP(workdir)
        try:
            idp.start()
        except Exception as e:  # noqa: BLE001
            print(f"FAIL start: {e}")
            print("0 passed, 1 failed")
            return 1
        print(f"IdP {idp.issuer} started in {idp.start_seconds:.2f} s")
        try:
            run_all(idp)
        finally:
            idp.stop()

        @check("SIGTERM: clean exit 0")
        def _():
            expect(idp.returncode == 0, "exit status", idp.returncode)
        _()

        @check("IDP_INTERVAL=3 is announced")
        def _():
            with TestIdP(workdir, {"IDP_INTERVAL": "3"}) as idp3:
                status, body = idp3.request("POST", "/device/auth", {"client_id": "pam-public", "scope": "openid"})
                expect(status == 200 and body["interval"] == 3, "interval 3", body)
        _()
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
