"""Hostile-IdP and fault tests: the real module through the real Linux-PAM stack
(pam_drive on pam_start_confdir) against fault_server.FaultServer, which answers each endpoint
wrongly on purpose. One row of CASES per attack; TAP output. Run with /usr/bin/python3.

Every case must deny (never PAM_SUCCESS) with its expected code, end within its bounds,
not crash (pam_drive prints a RESULT line), and show or log no control character,
escape sequence or bidi override (checked on the raw bytes, for every case).

Behaviour these rows pin down (decided by the module, documented here):
- Content-Type is ignored: a JSON body served as text/html is parsed as JSON.
- Duplicate JSON keys: json-c keeps the last one, so the last value is the one checked.
- A bare 429 (or one with another error) ends the login at once as PAM_AUTHINFO_UNAVAIL;
  a 429 with error=slow_down slows down, waiting for its Retry-After (Auth0).
- A 4xx with an OAuth error from the device authorization endpoint is PAM_SERVICE_ERR
  (the IdP refuses our client: a configuration to fix).
- access_denied is PAM_MAXTRIES (a refusal that also says "do not retry").
- Anything unusable after a 200 from the token endpoint (malformed grant, JWKS or userinfo
  broken or too large) is PAM_AUTH_ERR, not PAM_AUTHINFO_UNAVAIL (see APPROVED_BUT_UNUSABLE).
- An error_description is cut to 200 bytes with "..."; one over 4096 bytes, or holding a
  NUL, is dropped whole (description="").
- interval 0 polls every second; an interval past the code's lifetime gives up unpolled.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from common import harness  # noqa: E402
from fault_server import FaultCerts, FaultServer  # noqa: E402

H = harness
AUTH_ERR, UNAVAIL, SERVICE_ERR = H.PAM_AUTH_ERR, H.PAM_AUTHINFO_UNAVAIL, H.PAM_SERVICE_ERR
DENIED = H.PAM_MAXTRIES  # access_denied: a refusal that also tells sshd and sudo not to retry
# After a 200 from the token endpoint someone has approved: a grant the module cannot use
# (malformed, wrong token type), or an identity it cannot learn or verify (JWKS or userinfo
# malformed or too large) is a refusal, not an outage: as PAM_AUTHINFO_UNAVAIL it would
# let the approver's account reach an "authinfo_unavail=ignore" fallback.
APPROVED_BUT_UNUSABLE = H.PAM_AUTH_ERR
HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT, HTTP_TIMEOUT, MARGIN = 8, 2, 10
ESC, BEL, BS, CR, RLO = "\x1b", "\x07", "\x08", "\r", "\u202e"
NASTY = f"{ESC}[31mred{ESC}[0m {ESC}]8;;https://evil.example/{ESC}\\link{ESC}]8;;{ESC}\\ " \
        f"{ESC}]52;c;cm0gLXJmIH4K{BEL} a{CR}overwrite{BEL}{BS}{BS}{RLO}txt.exe \x9b31m\u2066"


# ---------------------------------------------------------------- script pieces

def device(server, **fields):
    """A device authorization answer, with FIELDS changed (None removes one)."""
    body = {
        "device_code": "dc-" + secrets.token_hex(16),
        "user_code": "WDJB-MJHT",
        "verification_uri": server.url("/device"),
        "expires_in": 300,
        "interval": 1,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def ok_device(**fields):
    return lambda server: {"/device/auth": {"body": device(server, **fields)}}


def error(code, description=None, status=400):
    body = {"error": code}
    if description is not None:
        body["error_description"] = description
    return {"status": status, "body": body}


PENDING = error("authorization_pending")


def with_token(token_steps, **fields):
    """Device authorization as usual; the token endpoint answers TOKEN_STEPS."""
    return lambda server: {"/device/auth": {"body": device(server, **fields)}, "/token": token_steps}


def raw_device(body, status=200, headers=None):
    return lambda server: {"/device/auth": {"status": status, "body": body, "headers": headers or {}}}


def bad_device_text(server, text):
    """A device authorization body whose JSON text is built by TEXT(server)."""
    return {"/device/auth": {"body": text(server)}}


def nested(depth):
    return b'{"a":' + b"[" * depth + b"]" * depth + b"}"


def spacing(server, path):
    times = [r.time for r in server.hits(path)]
    return [b - a for a, b in zip(times, times[1:])]


# ---------------------------------------------------------------- signed tokens

class Keys:
    """The IdP's signing keys (RSA and EC P-256) and an attacker's RSA key, made with openssl."""

    def __init__(self, directory):
        self.pem = {}
        for name, args in (("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
                           ("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                           ("attacker", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])):
            path = os.path.join(directory, f"jws-{name}.key")
            subprocess.run(["openssl", "genpkey", *args, "-out", path], check=True, capture_output=True)
            with open(path) as f:
                self.pem[name] = f.read()
        self.jwk = self.sign([])["jwks"]

    def sign(self, tokens):
        done = subprocess.run(["node", os.path.join(HERE, "sign_jws.mjs")], input=json.dumps(
            {"keys": self.pem, "tokens": tokens}), capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    def public(self, name, kid, alg=None):
        jwk = dict(self.jwk[name], kid=kid, use="sig")
        if alg:
            jwk["alg"] = alg
        return jwk

    def jwks(self):
        return {"keys": [self.public("rsa", "rsa-1", "RS256"), self.public("ec", "ec-1", "ES256")]}


KEYS = None  # made in main()


def claims(server, **changes):
    now = int(time.time())
    body = {"iss": server.base, "aud": "pam-public", "sub": "alice-sub", "preferred_username": "alice",
            "iat": now, "exp": now + 300}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def id_token_case(header, payload_changes=None, key="rsa", mode="sign", jwks=None, userinfo=None):
    """Discovery, JWKS and a token response carrying an ID token made from HEADER and claims;
    USERINFO replaces what /me answers."""
    def script(server):
        token = KEYS.sign([{"header": header, "payload": claims(server, **(payload_changes or {})),
                            "key": key, "mode": mode}])["tokens"][0]
        return {
            "/.well-known/openid-configuration": {"body": {
                "issuer": server.base,
                "device_authorization_endpoint": server.url("/device/auth"),
                "token_endpoint": server.url("/token"),
                "userinfo_endpoint": server.url("/me"),
                "jwks_uri": server.url("/jwks"),
            }},
            "/jwks": jwks if jwks is not None else {"body": KEYS.jwks()},
            "/device/auth": {"body": device(server)},
            "/token": {"body": {"access_token": "opaque-" + secrets.token_hex(8), "token_type": "Bearer",
                                "scope": "openid profile", "id_token": token}},
            "/me": {"body": userinfo if userinfo is not None else {"sub": "alice-sub", "preferred_username": "alice"}},
        }
    return script


def userinfo_case(answer, status=200, raw_step=False):
    """A valid grant; identity from userinfo, which answers ANSWER."""
    def script(server):
        step = answer if raw_step else {"status": status, "body": answer}
        return {"/device/auth": {"body": device(server)},
                "/token": {"body": {"access_token": "opaque-" + secrets.token_hex(8), "token_type": "Bearer"}},
                "/me": step}
    return script


USERINFO = {"identity_source": "userinfo", "scope_source": "response"}


def issuer_config(server):
    return {"issuer": server.base, "device_authorization_endpoint": None, "token_endpoint": None,
            "userinfo_endpoint": None, "identity_source": "id_token", "scope": "openid profile"}


# ---------------------------------------------------------------- the table

class Case:
    def __init__(self, name, script, code, text, log, config=None, check=None, server=None, timeout=TIMEOUT,
                 wrap=None, env=None):
        self.name = name
        self.script = script          # callable(server) -> script dict
        self.code = code              # expected PAM code
        self.text = text              # substring of what the user saw (errors/info), or None
        self.log = log                # substring of the captured syslog
        self.config = config or {}    # overrides: dict, or callable(server) -> dict
        self.check = check            # extra: callable(server, login)
        self.server = server or {}    # FaultServer options: cert=, tls=
        self.timeout = timeout
        self.wrap = wrap              # callable() -> command prefix for pam_drive (a mount namespace)
        self.env = env                # callable() -> extra environment for pam_drive


UNREACH = "cannot be reached"
VERIFY = "could not be verified"
DA = "device authorization response: "
TOK = "token endpoint: HTTP 200, "


def huge_body_check(server, login):
    # The server counts what it could write before the module hung up (paced, so little
    # sits in socket buffers): far less than the 10 MB, near the 64 KiB cap.
    hit = server.hits("/token")[0]
    print(f"# body_10mb_cut_at_64k: the server wrote {hit.sent} of {10 * 1024 * 1024} bytes", flush=True)
    if hit.sent is None or hit.sent >= 1024 * 1024:
        raise AssertionError(f"the module read on far past 64 KiB: the server wrote {hit.sent} bytes")


def polls_at_most(n):
    def check(server, login):
        count = len(server.hits("/token"))
        if count > n:
            start = server.hits("/device/auth")[0].time
            times = [f"{r.time - start:.3f}" for r in server.hits("/token")]
            raise AssertionError(f"expected at most {n} polls, saw {count} (at {times} s after the device request)")
    return check


def no_poll_after(seconds):
    """No poll later than SECONDS after the device authorization (expires_in plus slack:
    the module counts the lifetime from when it got the answer, a few ms after the server)."""
    def check(server, login):
        start = server.hits("/device/auth")[0].time
        late = [round(r.time - start, 3) for r in server.hits("/token") if r.time - start > seconds]
        if late:
            raise AssertionError(f"polled after the code expired, at {late} s")
    return check


def not_followed(target):
    """The redirect from /device/auth was refused, not followed: exactly one request to
    /device/auth, none to TARGET (the path its Location names, on this server)."""
    def check(server, login):
        problems = []
        if len(server.hits("/device/auth")) != 1:
            problems.append(f"{len(server.hits('/device/auth'))} requests to the redirecting /device/auth, expected 1")
        if server.hits(target):
            problems.append(f"the module followed the redirect: {len(server.hits(target))} requests to {target}")
        if problems:
            raise AssertionError("; ".join(problems))
    return check


def slow_down_check(server, login):
    gaps = spacing(server, "/token")
    if len(gaps) < 2:
        raise AssertionError(f"expected at least 3 polls in a slow_down storm, gaps {gaps}")
    previous = 1.0  # the device answer's interval
    for gap in gaps:
        if gap < previous + 5 - 0.25:
            raise AssertionError(f"poll spacing did not grow by 5 s each time: {gaps}")
        previous = gap


def min_spacing(seconds):
    def check(server, login):
        gaps = spacing(server, "/token")
        if any(g < seconds - 0.25 for g in gaps):
            raise AssertionError(f"polled faster than every {seconds} s: {gaps}")
    return check


def jwks_fetched(n):
    def check(server, login):
        H.Check.equal(len(server.hits("/jwks")), n, "JWKS fetches")
    return check


def embedded_key_check(server, login):
    """The key named in the token (jwk, jku) is never used: the JWKS is fetched again once."""
    jwks_fetched(2)(server, login)
    if server.hits("/attacker-jwks"):
        raise AssertionError("the module fetched the token's jku")


def cut_at_http_timeout(server, login):
    if login.elapsed >= HTTP_TIMEOUT + 5:
        raise AssertionError(f"slowloris not cut at http_timeout: {login.elapsed:.1f} s")


def system_store_trusting_the_server_ca():
    """A command prefix that runs pam_drive in a private mount namespace whose
    /etc/ssl/certs (libcurl's CA directory on Debian) trusts the fault server's CA."""
    store = os.path.join(WORKDIR, "system-certs")
    if not os.path.isdir(store):
        os.makedirs(store + ".new")
        shutil.copy(CERTS.ca_file, os.path.join(store + ".new", "fault-server-ca.pem"))
        subprocess.run(["openssl", "rehash", store + ".new"], check=True, capture_output=True)
        os.replace(store + ".new", store)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/ssl/certs && exec "$@"', store]


def openssl_allowing_old_tls():
    """An OpenSSL configuration for pam_drive that lets a client speak TLS 1.0 and 1.1 (the
    system's refuses them): so only the module's own TLS 1.2 floor can refuse a server
    capped at TLS 1.1."""
    path = os.path.join(WORKDIR, "openssl-old-tls.cnf")
    if not os.path.exists(path):
        with open(path + ".new", "w") as f:
            f.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n"
                    "[tls]\nMinProtocol = TLSv1\nCipherString = DEFAULT:@SECLEVEL=0\n")
        os.replace(path + ".new", path)
    return {"OPENSSL_CONF": path}


def slow_redirect(target):
    return lambda server: {"/device/auth": {"status": 302, "headers": {"Location": target(server)},
                                             "body": b""}}


def redirect_loop(server):
    """/device/auth and /loop redirect to each other: a module that followed redirects would
    ask /loop, and /device/auth again, until a redirect limit or its timeout."""
    def to(path):
        return {"status": 302, "headers": {"Location": server.url(path)}, "body": b""}
    return {"/device/auth": to("/loop"), "/loop": to("/device/auth")}


CASES = [
    # ---- bodies
    Case("malformed_json", raw_device(b'{"device_code": "x", "user_code": '), UNAVAIL, UNREACH, DA + "malformed JSON"),
    Case("truncated_body_close_mid", lambda s: {"/device/auth": {"body": device(s), "action": "close_mid"}},
         UNAVAIL, UNREACH, "device authorization: failed"),
    Case("empty_body", raw_device(b""), UNAVAIL, UNREACH, DA + "empty body"),
    Case("json_array_not_object", raw_device(b'["device_code"]'), UNAVAIL, UNREACH, DA + "JSON is not an object"),
    Case("json_string_not_object", raw_device(b'"hello"'), UNAVAIL, UNREACH, DA + "JSON is not an object"),
    Case("nested_10000_deep", raw_device(nested(10000)), UNAVAIL, UNREACH, DA + "JSON nested too deep"),
    Case("token_nested_10000_deep", with_token({"body": nested(10000)}), APPROVED_BUT_UNUSABLE, VERIFY, TOK + "JSON nested too deep"),
    # A 200 over the cap: someone approved (an approver with thousands of groups), so a refusal.
    Case("body_10mb_cut_at_64k", with_token({"action": "stream", "body": b" ", "size": 10 * 1024 * 1024}),
         APPROVED_BUT_UNUSABLE, VERIFY, "token endpoint: HTTP 200, but the answer was too large",
         check=huge_body_check),
    # The same size as an error answer (no approval): an outage, as before.
    Case("error_body_10mb_is_an_outage",
         with_token({"action": "stream", "status": 400, "body": b" ", "size": 10 * 1024 * 1024}),
         UNAVAIL, UNREACH, "token request: body too large"),
    Case("garbage_after_object", lambda s: bad_device_text(s, lambda s: json.dumps(device(s)).encode()
                                                           + b' {"more":1}'), UNAVAIL, UNREACH, DA),
    Case("nul_after_object", lambda s: bad_device_text(s, lambda s: json.dumps(device(s)).encode() + b"\x00"),
         UNAVAIL, UNREACH, DA),
    Case("wrong_content_type_is_ignored",
         lambda s: {"/device/auth": {"body": device(s), "headers": {"Content-Type": "text/html"}},
                    "/token": dict(error("access_denied"), headers={"Content-Type": "text/html"})},
         DENIED, "denied", "result=denied reason=access_denied"),
    Case("duplicate_keys_last_wins_error",
         with_token({"status": 400, "body": b'{"error":"authorization_pending","error":"access_denied"}'}),
         DENIED, "denied", "result=denied", check=polls_at_most(1)),
    Case("duplicate_keys_last_wins_uri",
         lambda s: bad_device_text(s, lambda s: json.dumps(device(s))[:-1].encode()
                                   + b', "verification_uri": "javascript:alert(1)"}'),
         UNAVAIL, UNREACH, DA + "verification_uri missing, invalid or not https"),
    Case("nul_inside_user_code", ok_device(user_code="WDJB\u0000MJHT"), UNAVAIL, UNREACH,
         DA + "user_code missing or invalid"),
    Case("nul_inside_error_description",
         with_token(error("invalid_request", "before\u0000after" + NASTY)), AUTH_ERR, "refused",
         'token endpoint error=invalid_request description=""'),
    Case("invalid_utf8_raw_ff",
         lambda s: bad_device_text(s, lambda s: json.dumps(device(s)).replace("WDJB", "WD\udcff").encode(
             "utf-8", "surrogateescape")), UNAVAIL, UNREACH, DA + "invalid UTF-8"),
    Case("invalid_utf8_overlong_in_description",
         with_token({"status": 400, "body": b'{"error":"invalid_request","error_description":"a\xc0\xafb"}'}),
         UNAVAIL, UNREACH, "token endpoint: HTTP 400, malformed error response"),
    # ---- fields
    Case("missing_device_code", ok_device(device_code=None), UNAVAIL, UNREACH, DA + "device_code missing"),
    Case("user_code_wrong_type", ok_device(user_code=12345678), UNAVAIL, UNREACH, DA + "user_code missing or invalid"),
    Case("user_code_empty", ok_device(user_code=""), UNAVAIL, UNREACH, DA + "user_code missing or invalid"),
    Case("user_code_60k", ok_device(user_code="A" * 60000), UNAVAIL, UNREACH, DA + "user_code missing or invalid"),
    Case("user_code_64k_body_too_large", ok_device(user_code="A" * 65536), UNAVAIL, UNREACH,
         "device authorization: body too large"),
    Case("user_code_ansi_osc_rlo", ok_device(user_code="AB" + NASTY), UNAVAIL, UNREACH,
         DA + "user_code missing or invalid"),
    Case("device_code_wrong_type", ok_device(device_code={"a": 1}), UNAVAIL, UNREACH, DA + "device_code missing"),
    Case("interval_negative", ok_device(interval=-5), UNAVAIL, UNREACH, DA + "interval invalid"),
    # Past 64 bits the whole body is refused, on every json-c (pam_oauth2/json_text.h).
    Case("interval_huge", ok_device(interval=10 ** 30), UNAVAIL, UNREACH, DA + "integer out of range"),
    Case("interval_float", ok_device(interval=2.5), UNAVAIL, UNREACH, DA + "interval invalid"),
    Case("interval_zero_polls_at_most_every_second", with_token(PENDING, interval=0), AUTH_ERR, "not approved in time",
         "result=expired", check=min_spacing(1.0)),
    Case("expires_in_zero", ok_device(expires_in=0), UNAVAIL, UNREACH, DA + "expires_in missing or out of range"),
    Case("expires_in_negative", ok_device(expires_in=-1), UNAVAIL, UNREACH, DA + "expires_in missing or out of range"),
    Case("expires_in_huge", ok_device(expires_in=2 ** 63), UNAVAIL, UNREACH, DA + "expires_in missing or out of range"),
    Case("expires_in_string", ok_device(expires_in="300"), UNAVAIL, UNREACH, DA + "expires_in missing or out of range"),
    Case("verification_uri_javascript", ok_device(verification_uri="javascript:alert(1)"), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_file", ok_device(verification_uri="file:///etc/shadow"), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_http", ok_device(verification_uri="http://idp.example/device"), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_spaces", ok_device(verification_uri="https://idp.example/de vice now"), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_newline", ok_device(verification_uri="https://idp.example/\nEnter your password:"),
         UNAVAIL, UNREACH, DA + "verification_uri missing"),
    Case("verification_uri_escape", ok_device(verification_uri="https://idp.example/" + NASTY), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_no_host", ok_device(verification_uri="https:///device"), UNAVAIL, UNREACH,
         DA + "verification_uri missing"),
    Case("verification_uri_complete_javascript", ok_device(verification_uri_complete="javascript:alert(1)"),
         UNAVAIL, UNREACH, DA + "verification_uri_complete invalid"),
    Case("error_description_escapes_token", with_token(error("invalid_request", NASTY)), AUTH_ERR, "refused",
         'description="?[31mred?[0m'),
    Case("error_description_escapes_device", raw_device({"error": "invalid_client", "error_description": NASTY},
                                                        status=401),
         SERVICE_ERR, "misconfigured", "device authorization refused: HTTP 401 error=invalid_client"),
    Case("error_code_with_escape", with_token(error("access_denied" + ESC + "[2J")), UNAVAIL, UNREACH,
         "malformed error response"),
    Case("error_description_long_cut", with_token(error("invalid_request", "x" * 1000 + NASTY)), AUTH_ERR, "refused",
         'xxxxxxxx..."'),
    Case("error_description_over_4k_dropped", with_token(error("invalid_request", "x" * 5000 + NASTY)), AUTH_ERR,
         "refused", 'error=invalid_request description=""'),
    # ---- protocol
    # An error member decides whatever the status (GitHub answers every poll with 200).
    Case("error_with_http_200", with_token({"body": {"error": "access_denied"}}), DENIED, "denied",
         "result=denied reason=access_denied at the IdP"),
    Case("error_and_token_with_http_200",
         with_token({"body": {"error": "authorization_pending", "access_token": "x", "token_type": "Bearer"}}),
         APPROVED_BUT_UNUSABLE, VERIFY, TOK + "both an error and an access_token"),
    Case("success_with_http_400", with_token({"status": 400, "body": {"access_token": "x", "token_type": "Bearer"}}),
         UNAVAIL, UNREACH, "token endpoint: HTTP 400, malformed error response"),
    Case("unknown_error_code", with_token(error("totally_new_error")), AUTH_ERR, "refused",
         "token endpoint error=totally_new_error", check=polls_at_most(1)),
    Case("slow_down_storm", with_token(error("slow_down")), AUTH_ERR, "not approved in time", "result=expired",
         config={"timeout": "20"}, timeout=20, check=slow_down_check),
    Case("authorization_pending_forever", with_token(PENDING), AUTH_ERR, "not approved in time", "result=expired",
         check=min_spacing(1.0)),
    Case("success_after_expiry",
         with_token([PENDING, PENDING, PENDING, {"body": {"access_token": "late", "token_type": "Bearer"}}],
                    expires_in=2),
         AUTH_ERR, "not approved in time", "result=expired", check=no_poll_after(2.5)),
    Case("token_type_mac", with_token({"body": {"access_token": "a", "token_type": "mac"}}), APPROVED_BUT_UNUSABLE, VERIFY,
         TOK + "token_type missing or not Bearer"),
    Case("token_type_missing", with_token({"body": {"access_token": "a"}}), APPROVED_BUT_UNUSABLE, VERIFY,
         TOK + "token_type missing or not Bearer"),
    Case("access_token_missing", with_token({"body": {"token_type": "Bearer"}}), APPROVED_BUT_UNUSABLE, VERIFY,
         TOK + "access_token missing"),
    Case("access_token_wrong_type", with_token({"body": {"access_token": ["a"], "token_type": "Bearer"}}),
         APPROVED_BUT_UNUSABLE, VERIFY, TOK + "access_token missing or invalid"),
    Case("token_429_retry_after", with_token({"status": 429, "headers": {"Retry-After": "1"}, "body": b""}),
         UNAVAIL, UNREACH, "token endpoint: HTTP 429", check=polls_at_most(1)),
    # slow_down as a 429 with a Retry-After longer than the code lives: no poll comes early,
    # and the login expires unapproved (never an outage).
    Case("token_429_slow_down_retry_after_past_expiry",
         with_token({"status": 429, "headers": {"Retry-After": "3600"}, "body": {"error": "slow_down"}}),
         AUTH_ERR, "not approved in time", "result=expired", check=polls_at_most(1)),
    Case("device_429_retry_after", raw_device(b"", status=429, headers={"Retry-After": "3600"}), UNAVAIL, UNREACH,
         "device authorization: HTTP 429"),
    Case("token_500", with_token({"status": 500, "body": b"<html>oops</html>"}), UNAVAIL, UNREACH,
         "token endpoint: HTTP 500"),
    Case("token_502", with_token({"status": 502, "body": b""}), UNAVAIL, UNREACH, "token endpoint: HTTP 502"),
    Case("device_503", raw_device(b"busy", status=503), UNAVAIL, UNREACH, "device authorization: HTTP 503"),
    Case("device_400_unparsable", raw_device(b"<html>bad</html>", status=400), UNAVAIL, UNREACH,
         "device authorization: HTTP 400"),
    Case("redirect_to_http", slow_redirect(lambda s: f"http://127.0.0.1:{s.port}/elsewhere"), UNAVAIL, UNREACH,
         "redirect (HTTP 302) refused", check=not_followed("/elsewhere")),
    Case("redirect_to_other_host", slow_redirect(lambda s: s.url("/elsewhere", host="localhost")), UNAVAIL, UNREACH,
         "redirect (HTTP 302) refused", check=not_followed("/elsewhere")),
    Case("redirect_loop", redirect_loop, UNAVAIL, UNREACH, "redirect (HTTP 302) refused", check=not_followed("/loop")),
    Case("token_redirect_307", with_token({"status": 307, "headers": {"Location": "https://127.0.0.1:1/token"},
                                           "body": b""}),
         UNAVAIL, UNREACH, "redirect (HTTP 307) refused", check=polls_at_most(1)),
    # ---- transport
    Case("connection_refused", lambda s: {}, UNAVAIL, UNREACH, "device authorization: unreachable",
         config=lambda s: {"device_authorization_endpoint": f"https://127.0.0.1:{H.closed_port()}/device/auth"}),
    Case("reset_mid_body", lambda s: {"/device/auth": {"body": device(s), "action": "reset_mid"}}, UNAVAIL, UNREACH,
         "device authorization: failed"),
    # A 200 status line means someone approved: a body cut short after it is a refusal.
    Case("token_reset_mid_body", with_token({"body": {"access_token": "a" * 200, "token_type": "Bearer"},
                                             "action": "reset_mid"}),
         APPROVED_BUT_UNUSABLE, VERIFY, "token endpoint: HTTP 200, but the answer was cut short"),
    Case("close_without_answer", lambda s: {"/device/auth": {"action": "close_now"}}, UNAVAIL, UNREACH,
         "device authorization: failed"),
    Case("never_answers_device", lambda s: {"/device/auth": {"action": "never", "hold": 30}}, UNAVAIL, UNREACH,
         "device authorization: timed out"),
    Case("never_answers_token", with_token({"action": "never", "hold": 30}), UNAVAIL, UNREACH,
         "token endpoint kept timing out"),
    Case("slowloris_1_byte_per_second", lambda s: {"/device/auth": {"body": device(s), "action": "trickle",
                                                                    "limit": 20}},
         UNAVAIL, UNREACH, "device authorization: timed out",
         check=cut_at_http_timeout),
    Case("tls_untrusted_ca", ok_device(), UNAVAIL, UNREACH, "device authorization: TLS error",
         config=lambda s: {"ca_file": CERTS.other_ca_file}),
    # ca_file is the only trust anchor: a CA in the system's store (here, in a private mount
    # namespace, the one that signed the server) is not trusted beside it.
    Case("tls_system_store_not_trusted_beside_ca_file", userinfo_case({"sub": "s1", "preferred_username": "alice"}),
         UNAVAIL, UNREACH, "device authorization: TLS error",
         config=lambda s: dict(USERINFO, ca_file=CERTS.other_ca_file), wrap=system_store_trusting_the_server_ca),
    # TLS 1.2 at least, whatever OpenSSL's own configuration allows: a server capped at
    # TLS 1.1 is refused even when OPENSSL_CONF would let the client go lower.
    Case("tls_1_1_server_refused", userinfo_case({"sub": "s1", "preferred_username": "alice"}), UNAVAIL, UNREACH,
         "device authorization: TLS error", config=USERINFO, server={"tls_max": "TLSv1_1"},
         env=openssl_allowing_old_tls),
    Case("tls_wrong_host_name", ok_device(), UNAVAIL, UNREACH, "device authorization: TLS error",
         server={"cert": "wronghost"}),
    Case("tls_expired_cert", ok_device(), UNAVAIL, UNREACH, "device authorization: TLS error",
         server={"cert": "expired"}),
    Case("plain_http_on_https_url", ok_device(), UNAVAIL, UNREACH, "device authorization: TLS error",
         server={"tls": False}),
    # ---- tokens (issuer = the fault server: discovery, JWKS and ID token verification run)
    Case("control_valid_signature_other_user", id_token_case({"alg": "RS256", "kid": "rsa-1"},
                                                             {"preferred_username": "bob", "sub": "bob-sub"}),
         AUTH_ERR, "not authorized for alice", "preferred_username='bob'", config=issuer_config),
    Case("id_token_alg_none", id_token_case({"alg": "none", "kid": "rsa-1"}, mode="none"), AUTH_ERR, VERIFY,
         "id_token refused", config=issuer_config),
    Case("id_token_hs256_with_public_key", id_token_case({"alg": "HS256", "kid": "rsa-1"}, mode="hmac-public"),
         AUTH_ERR, VERIFY, "id_token refused: alg none or HMAC refused", config=issuer_config),
    Case("id_token_kid_confusion_es256_rsa_kid", id_token_case({"alg": "ES256", "kid": "rsa-1"}, key="ec"),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    Case("id_token_rs256_signed_with_ec_kid", id_token_case({"alg": "RS256", "kid": "ec-1"}, key="attacker"),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    Case("id_token_embedded_jwk_unknown_kid",
         lambda s: id_token_case({"alg": "RS256", "kid": "attacker-1", "jwk": KEYS.public("attacker", "attacker-1"),
                                  "jku": s.url("/attacker-jwks")}, key="attacker")(s),
         AUTH_ERR, VERIFY, "id_token refused: no key with the token's kid", config=issuer_config,
         check=embedded_key_check),
    Case("id_token_other_audience", id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"aud": "another-client"}),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    Case("id_token_other_issuer", id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"iss": "https://evil.example"}),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    # OIDC Core §2: sub is required in an ID token; a sub that is there but unusable (too
    # long, a NUL inside) refuses the login instead of skipping the agreement check.
    Case("id_token_without_sub", id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"sub": None}), AUTH_ERR, VERIFY,
         "id_token refused: no usable sub claim", config=issuer_config),
    Case("sub_over_256_bytes_in_two_sources_disagreeing",
         id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"sub": "a" * 300, "preferred_username": None},
                       userinfo={"sub": "b" * 300, "preferred_username": "alice"}),
         AUTH_ERR, VERIFY, "id_token refused: no usable sub claim",
         config=lambda s: dict(issuer_config(s), identity_source="auto")),
    Case("sub_with_nul_in_userinfo_after_id_token",
         id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"preferred_username": None},
                       userinfo={"sub": "alice-sub\u0000x", "preferred_username": "alice"}),
         AUTH_ERR, VERIFY, "a sub claim is not a string of 1-256 bytes without NUL",
         config=lambda s: dict(issuer_config(s), identity_source="auto")),
    Case("sub_of_userinfo_differs_from_id_token",
         id_token_case({"alg": "RS256", "kid": "rsa-1"}, {"preferred_username": None},
                       userinfo={"sub": "alice-sub-2", "preferred_username": "alice"}),
         AUTH_ERR, VERIFY, "identity sources disagree on sub",
         config=lambda s: dict(issuer_config(s), identity_source="auto")),
    Case("id_token_expired", id_token_case({"alg": "ES256", "kid": "ec-1"}, {"exp": int(time.time()) - 3600,
                                                                            "iat": int(time.time()) - 7200},
                                           key="ec"),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    Case("jwks_huge", id_token_case({"alg": "RS256", "kid": "rsa-1"},
                                    jwks={"action": "stream", "body": b" ", "size": 10 * 1024 * 1024}),
         APPROVED_BUT_UNUSABLE, VERIFY, "jwks: body too large", config=issuer_config),
    Case("jwks_malformed", id_token_case({"alg": "RS256", "kid": "rsa-1"}, jwks={"body": b'{"keys": [{"kty": "RSA",'}),
         APPROVED_BUT_UNUSABLE, VERIFY, "jwks refused", config=issuer_config),
    Case("jwks_wrong_shape", id_token_case({"alg": "RS256", "kid": "rsa-1"},
                                           jwks={"body": {"keys": [{"kty": "RSA", "kid": "rsa-1", "n": 5, "e": []}]}}),
         APPROVED_BUT_UNUSABLE, VERIFY, "jwks refused", config=issuer_config),
    # ---- identity from userinfo (no signature to forge: only the exact claim may let alice in)
    Case("userinfo_nasty_username", userinfo_case({"sub": "s1", "preferred_username": "bob" + NASTY}), AUTH_ERR,
         "not authorized for alice", "approved by preferred_username='bob?[31mred", config=USERINFO),
    Case("userinfo_username_with_nul_suffix", userinfo_case({"sub": "s1", "preferred_username": "alice\u0000evil"}),
         AUTH_ERR, "not authorized for alice", "preferred_username", config=USERINFO),
    Case("userinfo_username_upper_case", userinfo_case({"sub": "s1", "preferred_username": "ALICE"}), AUTH_ERR,
         "not authorized for alice", "approved by preferred_username='ALICE'", config=USERINFO),
    Case("userinfo_username_trailing_newline", userinfo_case({"sub": "s1", "preferred_username": "alice\n"}),
         AUTH_ERR, "not authorized for alice", "preferred_username", config=USERINFO),
    Case("userinfo_username_rlo", userinfo_case({"sub": "s1", "preferred_username": "alice\u202e"}), AUTH_ERR,
         "not authorized for alice", "preferred_username", config=USERINFO),
    Case("userinfo_username_array", userinfo_case({"sub": "s1", "preferred_username": ["alice"]}), AUTH_ERR,
         "not authorized for alice", "claim 'preferred_username' missing or not a string", config=USERINFO),
    Case("userinfo_401", userinfo_case({"error": "invalid_token"}, status=401), AUTH_ERR, "refused",
         "userinfo refused the access token: HTTP 401", config=USERINFO),
    Case("userinfo_malformed", userinfo_case(b'{"preferred_username": "alice"'), APPROVED_BUT_UNUSABLE, VERIFY,
         "userinfo response: malformed JSON", config=USERINFO),
    Case("userinfo_huge", userinfo_case({"action": "stream", "body": b" "}, raw_step=True), APPROVED_BUT_UNUSABLE, VERIFY,
         "userinfo request: body too large", config=USERINFO),
    # ---- more device and token fields
    Case("interval_3600_gives_up_without_polling", with_token(PENDING, interval=3600), AUTH_ERR,
         "not approved in time", "result=expired", check=polls_at_most(0)),
    Case("scope_with_control_characters", with_token({"body": {"access_token": "a", "token_type": "Bearer",
                                                              "scope": "openid\u001b[2J profile"}}),
         APPROVED_BUT_UNUSABLE, VERIFY, TOK + "scope invalid"),
    Case("discovery_http_endpoint",
         lambda s: dict(id_token_case({"alg": "RS256", "kid": "rsa-1"})(s),
                        **{"/.well-known/openid-configuration": {"body": {
                            "issuer": s.base, "device_authorization_endpoint": s.url("/device/auth"),
                            "token_endpoint": f"http://127.0.0.1:{s.port}/token", "jwks_uri": s.url("/jwks")}}}),
         SERVICE_ERR, "misconfigured", "discovery document refused: an endpoint", config=issuer_config),
    Case("id_token_crit_header", id_token_case({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"]}), AUTH_ERR, VERIFY,
         "id_token refused: header has crit", config=issuer_config),
    Case("id_token_azp_other_client", id_token_case({"alg": "RS256", "kid": "rsa-1"},
                                                    {"aud": ["pam-public", "other"], "azp": "other"}),
         AUTH_ERR, VERIFY, "id_token refused", config=issuer_config),
    Case("id_token_alg_not_allowed", id_token_case({"alg": "PS256", "kid": "rsa-1"}), AUTH_ERR, VERIFY,
         "id_token refused", config=lambda s: dict(issuer_config(s), allowed_algs="ES256")),
    # RFC 8414 fallback: no OpenID document (404, unscripted), the same metadata at RFC 8414's
    # well-known path: the flow runs through it (and refuses the other user's ID token).
    Case("discovery_falls_back_to_rfc8414",
         lambda s: {("/.well-known/oauth-authorization-server" if path == "/.well-known/openid-configuration"
                     else path): step
                    for path, step in id_token_case({"alg": "RS256", "kid": "rsa-1"},
                                                    {"preferred_username": "bob", "sub": "bob-sub"})(s).items()},
         AUTH_ERR, "not authorized for alice", "preferred_username='bob'", config=issuer_config,
         check=lambda server, login: (H.Check.equal(len(server.hits("/.well-known/openid-configuration")), 1,
                                                    "OpenID discovery tried first"),
                                      H.Check.equal(len(server.hits("/.well-known/oauth-authorization-server")), 1,
                                                    "RFC 8414 document fetched"))),
    Case("discovery_issuer_mismatch",
         lambda s: dict(id_token_case({"alg": "RS256", "kid": "rsa-1"})(s),
                        **{"/.well-known/openid-configuration": {"body": {
                            "issuer": "https://evil.example", "device_authorization_endpoint": s.url("/device/auth"),
                            "token_endpoint": s.url("/token"), "jwks_uri": s.url("/jwks")}}}),
         SERVICE_ERR, "misconfigured", "discovery document refused", config=issuer_config),
]


# ---------------------------------------------------------------- running a row

CERTS = None
STACK = None
RAW_DIR = None
WORKDIR = None


def base_config(server):
    return {
        "device_authorization_endpoint": server.url("/device/auth"),
        "token_endpoint": server.url("/token"),
        "userinfo_endpoint": server.url("/me"),
        "client_id": "pam-public",
        "scope": "openid profile",
        "ca_file": CERTS.ca_file,
        "timeout": str(TIMEOUT),
        "http_timeout": str(HTTP_TIMEOUT),
        "debug": "on",
        # Not the default /var/cache/pam_oauth2: each case's fault server is another
        # issuer, and its discovery and JWKS entries would stay on the machine.
        "cache": "off",
    }


def run_case(case, stack):
    server = FaultServer(CERTS, **case.server)
    try:
        server.script = case.script(server)
        config = base_config(server)
        overrides = case.config(server) if callable(case.config) else case.config
        config.update(overrides)
        config = {k: v for k, v in config.items() if v is not None}
        service = stack.service(case.name.replace("_", "-")[:40], config)
        login = stack.login(service, "alice", timeout=case.timeout + HTTP_TIMEOUT + MARGIN + 30,
                            wrap=case.wrap() if case.wrap else (), extra_env=case.env() if case.env else None)
        problems = []
        if login.result == H.PAM_SUCCESS:
            problems.append("PAM_SUCCESS in a hostile case")
        if login.result != case.code:
            problems.append(f"PAM code: expected {case.code}, got {login.result}")
        bound = case.timeout + HTTP_TIMEOUT + MARGIN
        if login.elapsed >= bound:
            problems.append(f"took {login.elapsed:.1f} s, bound {bound} s")
        seen = "\n".join(login.errors + login.info + login.prompts)
        if case.text is not None and case.text not in seen:
            problems.append(f"user text lacks {case.text!r}: {seen!r}")
        if case.log not in login.log:
            problems.append(f"log lacks {case.log!r}: {login.log!r}")
        # The global check: nothing unsafe reached the user or syslog, in any case.
        raw = common.raw_output(RAW_DIR, service)
        if b"RESULT authenticate " not in raw:
            problems.append("the raw conversation capture is missing")
        problems += common.unsafe_characters(raw, "conversation")
        problems += common.unsafe_characters(common.raw_syslog(WORKDIR, service), "syslog")
        if case.check is not None:
            try:
                case.check(server, login)
            except AssertionError as e:
                problems.append(str(e))
        if problems:
            raise AssertionError("\n".join(problems) + f"\n(result {login.result}, {login.elapsed:.1f} s, "
                                 f"log {login.log.strip()!r})")
    finally:
        server.close()


def control_exact_claim_is_accepted():
    """Not a hostile case: the same fault-server script with a userinfo naming exactly alice
    succeeds, so the denials in the table come from the attack, not from the setup."""
    case = Case("control", userinfo_case({"sub": "s1", "preferred_username": "alice"}), H.PAM_SUCCESS, None,
                "result=approved", config=USERINFO)
    server = FaultServer(CERTS)
    try:
        server.script = case.script(server)
        config = dict(base_config(server), **USERINFO)
        login = STACK.login(STACK.service("control", config), "alice")
        H.Check.equal(login.result, H.PAM_SUCCESS, "pam_authenticate")
        H.Check.contains(login.log, "result=approved", "log line")
    finally:
        server.close()


NOBODY = 65534


def pam_drive_pid(service):
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"/pam_drive") and argv[1] == service.encode():
            return int(pid)
    return None


def setuid_caller_outages_are_refusals():
    """Under a setuid caller (real uid not root: sudo, su, pkexec) the invoking user can stop
    the process mid-request past http_timeout: no outage code may come back, or an
    "authinfo_unavail=ignore" fallback would skip the approval. pam_drive runs with real uid
    nobody and effective uid 0, as sudo does while it authenticates."""
    setuid = {"PAM_DRIVE_REAL_UID": str(NOBODY)}
    # The IdP really down: a denial that says why the outage code was withheld.
    config = dict(base_config(FakeServerless), device_authorization_endpoint=f"https://127.0.0.1:{H.closed_port()}/x")
    login = STACK.login(STACK.service("setuid-down", config), "alice", extra_env=setuid)
    H.Check.equal(login.result, AUTH_ERR, "IdP down under a setuid caller")
    H.Check.contains("\n".join(login.errors), "The identity provider cannot be reached", "message to the user")
    H.Check.contains(login.log, "result=idp-unavailable-refused", "log line")
    H.Check.contains(login.log, "outage code withheld", "log line")
    # The invoking user stops the process while the device authorization request waits for
    # an answer (1 s away, well inside http_timeout) and resumes it after http_timeout.
    server = FaultServer(CERTS)
    try:
        server.script = {"/device/auth": {"delay": 1.0, "body": device(server)}, "/token": PENDING}
        service = STACK.service("setuid-stopped", base_config(server))
        stopped = []

        def stop_mid_request():
            deadline = time.monotonic() + 20
            while not server.hits("/device/auth") and time.monotonic() < deadline:
                time.sleep(0.01)
            pid = pam_drive_pid(service)
            if pid is None:
                return
            # As the invoking user: the real uid is theirs, so the kernel lets them.
            subprocess.run(["kill", "-STOP", str(pid)], user=NOBODY, check=True)
            stopped.append(pid)
            time.sleep(HTTP_TIMEOUT + 2)
            subprocess.run(["kill", "-CONT", str(pid)], user=NOBODY, check=True)

        watcher = threading.Thread(target=stop_mid_request)
        watcher.start()
        login = STACK.login(service, "alice", extra_env=setuid)
        watcher.join()
        H.Check.equal(len(stopped), 1, "the process was stopped mid-request")
        H.Check.equal(login.result, AUTH_ERR, "stopped past http_timeout under a setuid caller")
        H.Check.contains(login.log, "device authorization: timed out", "log line")
        H.Check.contains(login.log, "outage code withheld", "log line")
    finally:
        server.close()


class FakeServerless:
    """base_config's server argument where no fault server runs."""

    @staticmethod
    def url(path):
        return f"https://127.0.0.1:{H.closed_port()}{path}"


def global_check_detects_unsafe_bytes():
    """The global check itself: it must catch what it is there to catch."""
    for bad in (b"a\x1b[31m", b"a\x07", b"a\x08", b"a\rb", "a\u202eb".encode(), "\x9b".encode(), b"\xff",
                b"a\x00b", b"tab\there"):
        if not common.unsafe_characters(bad, "self-test"):
            raise AssertionError(f"the control-character check misses {bad!r}")
    if common.unsafe_characters("ok \u2588\u2580 line\nnext".encode(), "self-test"):
        raise AssertionError("the control-character check flags clean text")


def bound(case, stack):
    def run():
        run_case(case, stack)
    run.__name__ = case.name
    return run


def main():
    global WORKDIR
    if os.geteuid() != 0:
        return H.missing_prerequisite("hostile tests need root (the module only trusts root-owned files)")
    names = [c.name for c in CASES]
    if len(set(names)) != len(names):
        print("Bail out! duplicate case names")
        return 1
    only = sys.argv[1:]
    cases = [c for c in CASES if not only or c.name in only]
    WORKDIR = common.new_workdir("pam_oauth2-hostile-")

    def body(workdir):
        global CERTS, RAW_DIR, KEYS, STACK
        CERTS = FaultCerts(os.path.join(workdir, "certs"))
        KEYS = Keys(workdir)
        stack = H.Stack(workdir, None)
        RAW_DIR = common.install_raw_capture(stack)
        started = time.monotonic()
        STACK = stack
        controls = [global_check_detects_unsafe_bytes, control_exact_claim_is_accepted,
                    setuid_caller_outages_are_refusals]
        rc = H.run_tap(controls + [bound(c, stack) for c in cases], parallel=24)
        print(f"# hostile suite: {len(cases)} cases in {time.monotonic() - started:.1f} s")
        return rc
    return H.run_suite("pam_oauth2-hostile-", body, WORKDIR)


if __name__ == "__main__":
    sys.exit(main())
