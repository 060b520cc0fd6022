"""No secret leaves the module: logins with debug=on against the real test IdP, through a
recording pass-through proxy (fault_server in "proxy" mode), so the test knows the REAL
device codes, access, refresh and ID tokens the IdP issued and the client secrets sent;
then it looks for each of them (whole, in part, and in its encoded forms) in everything
the module wrote: syslog (all levels), the PAM conversation, pam_drive's stderr, the PAM
environment, and the argv and environment of the process while it waits at the prompt.
TAP output; run with /usr/bin/python3.

The module talks to the proxy for device authorization, token, introspection and
userinfo (the endpoints that carry secrets); discovery and the JWKS go straight to the
IdP (public data; the issuer stays the IdP's own, so ID tokens verify as they would in
production). The CA file given to the module holds both CAs.
"""

import base64
import json
import os
import re
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from common import harness  # noqa: E402
from fault_server import FaultCerts, FaultServer  # noqa: E402

H = harness
BASIC_SECRET = "s3cr3t:with/special+chars&=%"
POST_SECRET = "post-secret-123"
RESOURCE = "urn:pam-oauth2:test"
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
OPAQUE_SHAPED = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43,}(?![A-Za-z0-9_-])")
WINDOW = 12  # a run this long copied from a secret counts as a leak

STATE = {}


class AnyPath(dict):
    """A fault_server script that forwards every path to the IdP."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def get(self, key, default=None):
        return self.step


def setup(stack):
    if "proxy" in STATE:
        return STATE
    with STATE.setdefault("lock", threading.Lock()):
        if "proxy" in STATE:
            return STATE
        workdir = stack.workdir
        certs = FaultCerts(os.path.join(workdir, "proxy-certs"))
        bundle = os.path.join(workdir, "ca-bundle.pem")
        with open(bundle, "w") as out:
            for path in (stack.idp.ca_file, certs.ca_file):
                with open(path) as f:
                    out.write(f.read())
        STATE["raw_dir"] = common.install_raw_capture(stack)
        STATE["bundle"] = bundle
        STATE["proxy"] = FaultServer(certs, AnyPath({"action": "proxy", "upstream": stack.idp.issuer,
                                                      "upstream_ca": stack.idp.ca_file}))
    return STATE


def proxied_config(stack, **overrides):
    proxy = setup(stack)["proxy"]
    config = {
        "issuer": stack.idp.issuer,  # discovery and JWKS straight from the IdP
        "device_authorization_endpoint": proxy.url("/device/auth"),
        "token_endpoint": proxy.url("/token"),
        "userinfo_endpoint": proxy.url("/me"),
        "introspection_endpoint": proxy.url("/token/introspection"),
        "client_id": "pam-public",
        "scope": "openid profile",
        "ca_file": STATE["bundle"],
        "timeout": "60",
        "http_timeout": "5",
        "debug": "on",
        "cache": "off",  # not the default /var/cache/pam_oauth2, which would keep entries
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def secrets_seen_by_proxy(since):
    """The secrets that crossed the proxy after request number SINCE: (kind, value) pairs."""
    found = []
    for request in STATE["proxy"].requests[since:]:
        form = request.form()
        for key in ("device_code", "client_secret", "token", "refresh_token"):
            if form.get(key):
                found.append((f"request {key}", form[key]))
        auth = request.headers.get("Authorization") or request.headers.get("authorization")
        if auth:
            found.append(("Authorization header", auth.split(" ", 1)[-1]))
        try:
            body = json.loads(request.response or b"{}")
        except ValueError:
            continue
        if isinstance(body, dict):
            for key in ("device_code", "access_token", "refresh_token", "id_token"):
                if isinstance(body.get(key), str):
                    found.append((key, body[key]))
    return found


def encoded_forms(value):
    forms = {value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe="")}
    if value.count(".") == 2:  # a JWS: each segment is a secret too (signature, payload)
        forms.update(part for part in value.split(".") if len(part) >= WINDOW)
    try:
        forms.add(base64.b64decode(value + "==", validate=False).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        pass
    return {f for f in forms if f}


def leaks(text, kind, value):
    """Where TEXT holds VALUE, an encoded form of it, or a WINDOW-long run of one."""
    found = []
    for form in encoded_forms(value):
        if len(form) < WINDOW:
            if form in text:
                found.append(f"{kind} {form!r}")
            continue
        for start in range(0, len(form) - WINDOW + 1):
            if form[start:start + WINDOW] in text:
                found.append(f"{kind}: {form[start:start + WINDOW]!r} (from {form[:12]}...)")
                break
    return found


PUBLIC_CLAIMS = {"iss", "aud", "azp", "client_id", "scope", "sub", "preferred_username", "name", "email", "acr"}


def b64url_bytes(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def heap_leaks(pid, known):
    """What the process's heap (the brk heap and anonymous mappings: malloc's arenas) still
    holds, after pam_end, of what the module decoded from signed tokens: the signature
    bytes and the decoded claims. The module wipes both before freeing them; without that
    they stay in freed chunks. Windows start past a chunk's first 16 bytes (which malloc
    reuses for its own pointers)."""
    wanted = []
    for kind, value in known:
        if kind in ("id_token", "access_token") and value.count(".") == 2:
            _header, payload, signature = value.split(".")
            wanted.append((f"{kind} signature bytes", b64url_bytes(signature)))
            # The claims the token alone carries (jti, at_hash, sid, ...): public values
            # (the issuer, audiences, client id) stand in the discovery document and the
            # configuration too, so finding them proves nothing.
            for name, claim in json.loads(b64url_bytes(payload)).items():
                if isinstance(claim, str) and len(claim) >= 16 and name not in PUBLIC_CLAIMS:
                    wanted.append((f"{kind} decoded claim {name}", claim.encode()))
    if not wanted:
        return [], 0
    blobs = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            path = fields[5] if len(fields) > 5 else ""
            if not fields[1].startswith("rw") or path not in ("", "[heap]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                blobs.append(mem.read(end - start))
            except OSError:
                continue
    memory = b"".join(blobs)
    found = []
    for what, raw in wanted:
        # Signatures: 24-byte windows past a chunk's first 16 bytes (malloc's own pointers);
        # a claim's value: its 16-byte windows (it sits inside a larger decoded buffer).
        size, first = (24, 16) if what.endswith("signature bytes") else (16, 0)
        for start in range(first, max(first + 1, len(raw) - size + 1), 4):
            if raw[start:start + size] in memory:
                found.append(f"heap after pam_end: {what} ({size} bytes at offset {start})")
                break
    return found, len(memory)


def process_of(service):
    """The pam_drive process running SERVICE: /proc/PID."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) > 1 and argv[0].endswith(b"/pam_drive") and argv[1] == service.encode():
            return f"/proc/{pid}"
    return None


def run_login(stack, name, config, user="alice", approver="alice", decision="allow", expect=H.PAM_SUCCESS,
              secret=None, need=("device_code", "access_token"), scan_heap=False):
    state = setup(stack)
    directory = stack.new_dir(name)
    if secret is not None:
        config["client_secret_file"] = stack.write_secret(directory, secret)
    service = stack.service(name, config)
    # Serial cases: every request the proxy sees from here on is this login's.
    mark = len(state["proxy"].requests)
    process_findings = []

    def at_prompt(login):
        # While the module waits at the prompt it holds the device code: argv and the
        # environment of its process must not.
        where = process_of(service)
        if where is None:
            process_findings.append("pam_drive process not found at the prompt")
        else:
            with open(f"{where}/cmdline", "rb") as f:
                argv = f.read().decode("utf-8", "replace")
            with open(f"{where}/environ", "rb") as f:
                environ = f.read().decode("utf-8", "replace")
            known = secrets_seen_by_proxy(mark) + ([("client secret", secret)] if secret else [])
            if not any(kind == "device_code" for kind, _ in known):
                process_findings.append("no device_code seen by the proxy before the prompt")
            for kind, value in known:
                process_findings.extend("argv: " + x for x in leaks(argv, kind, value))
                process_findings.extend("environ: " + x for x in leaks(environ, kind, value))
        if decision is not None:
            stack.idp.approve(login.user_code, approver, f"{approver}-pw", decision)

    heap_findings = []
    scanned = []

    def after_end(login, pid):
        # Secrets the proxy saw are known by now: the process lives on, past pam_end.
        found, size = heap_leaks(pid, secrets_seen_by_proxy(mark))
        heap_findings.extend(found)
        scanned.append(size)

    login = stack.login(service, user, on_prompt=at_prompt, on_end=after_end if scan_heap else None)
    if scan_heap and not scanned:
        heap_findings.append("the process's heap was not scanned after pam_end")
    elif scan_heap and scanned[0] == 0:
        heap_findings.append("no signed token to look for in the heap: the scan would prove nothing")
    raw_dir = state["raw_dir"]
    capture = "\n".join([
        common.raw_output(raw_dir, service).decode("utf-8", "replace"),
        common.raw_output(raw_dir, service, "err").decode("utf-8", "replace"),
        common.raw_syslog(stack.workdir, service).decode("utf-8", "replace"),
        login.log, "\n".join(f"{k}={v}" for k, v in login.env.items()),
    ])
    problems = list(process_findings) + heap_findings
    if login.result != expect:
        problems.append(f"expected PAM code {expect}, got {login.result}; log {login.log!r}")
    known = secrets_seen_by_proxy(mark)
    if secret is not None:
        known.append(("client secret", secret))
    kinds = {kind for kind, _ in known}
    for kind in need:
        if kind not in kinds:
            problems.append(f"the proxy saw no {kind}: the test would prove nothing (saw {sorted(kinds)})")
    print(f"# {name}: checked {len(known)} secrets ({', '.join(sorted(kinds))}) against "
          f"{len(capture)} captured characters", flush=True)
    for kind, value in known:
        problems += leaks(capture, kind, value)
    problems += [f"JWT-shaped string in the capture: {m[:40]}..." for m in JWT_SHAPED.findall(capture)]
    problems += [f"token-shaped string in the capture: {m[:40]}..." for m in OPAQUE_SHAPED.findall(capture)]
    if "87 pam_oauth2" not in capture:  # LOG_AUTHPRIV | LOG_DEBUG
        problems.append("no LOG_DEBUG line captured: debug=on did not log (the test would prove less)")
    if problems:
        raise AssertionError(f"{name}:\n" + "\n".join(problems))
    return login


# ---------------------------------------------------------------- the logins

@H.serial
def test_public_client_response_scopes_userinfo_identity(stack):
    run_login(stack, "public-userinfo", proxied_config(stack, scope_source="response", identity_source="userinfo"))


@H.serial
def test_basic_client_introspection_userinfo(stack):
    run_login(stack, "basic-introspection", proxied_config(stack, client_id="pam-basic", client_auth="basic",
                                                           scope_source="introspection", identity_source="userinfo"),
              secret=BASIC_SECRET, need=("device_code", "access_token", "Authorization header"))


@H.serial
def test_post_client_introspection_id_token(stack):
    run_login(stack, "post-id-token", proxied_config(stack, client_id="pam-post", client_auth="post",
                                                     scope_source="introspection", identity_source="id_token"),
              secret=POST_SECRET, need=("device_code", "access_token", "id_token", "request client_secret"),
              scan_heap=True)


@H.serial
def test_jwt_access_token_scopes_id_token_identity(stack):
    run_login(stack, "jwt-id-token", proxied_config(stack, audience=RESOURCE, scope_source="jwt",
                                                    identity_source="id_token"),
              need=("device_code", "access_token", "id_token"), scan_heap=True)


@H.serial
def test_offline_access_refresh_token_never_shown(stack):
    # The test IdP grants offline_access to this client: a refresh token comes back too.
    run_login(stack, "offline-access", proxied_config(stack, scope="openid profile offline_access",
                                                      scope_source="response", identity_source="userinfo"),
              need=("device_code", "access_token", "refresh_token"))


@H.serial
def test_another_user_approving_logs_no_token(stack):
    run_login(stack, "wrong-user", proxied_config(stack, scope_source="response", identity_source="id_token"),
              approver="bob", expect=H.PAM_AUTH_ERR, need=("device_code", "access_token", "id_token"))


@H.serial
def test_denied_login_logs_no_device_code(stack):
    run_login(stack, "denied", proxied_config(stack, client_id="pam-basic", client_auth="basic"),
              decision="deny", expect=H.PAM_MAXTRIES, secret=BASIC_SECRET,
              need=("device_code", "Authorization header"))


@H.serial
def test_wrong_client_secret_is_not_logged(stack):
    run_login(stack, "wrong-secret", proxied_config(stack, client_id="pam-post", client_auth="post"),
              decision=None, expect=H.PAM_SERVICE_ERR, secret="not-the-secret-" + "x" * 20,
              need=("request client_secret",))


@H.last
def test_the_leak_checks_catch_planted_secrets(stack):
    """The checks above prove something only if they catch a leak: plant parts of the real
    secrets the proxy saw in a fake capture and expect each to be found."""
    known = secrets_seen_by_proxy(0)
    kinds = {kind for kind, _ in known}
    for kind in ("device_code", "access_token", "id_token", "request client_secret", "Authorization header"):
        if kind not in kinds:
            raise AssertionError(f"no {kind} recorded over the whole run: {sorted(kinds)}")
    for kind, value in known:
        middle = len(value) // 2
        planted = f"85 pam_oauth2(x:auth): reason=oops {value[max(0, middle - 8):middle + 10]} end"
        if len(value) >= WINDOW + 2 and not leaks(planted, kind, value):
            raise AssertionError(f"a planted piece of {kind} was not detected")
        if kind == "id_token" and not JWT_SHAPED.search(f"token {value} end"):
            raise AssertionError("the JWT-shaped pattern misses a real id_token")


if __name__ == "__main__":
    common.use_var_tmp()
    sys.exit(H.main([
        test_public_client_response_scopes_userinfo_identity,
        test_basic_client_introspection_userinfo,
        test_post_client_introspection_id_token,
        test_jwt_access_token_scopes_id_token_identity,
        test_offline_access_refresh_token_never_shown,
        test_another_user_approving_logs_no_token,
        test_denied_login_logs_no_device_code,
        test_wrong_client_secret_is_not_logged,
        test_the_leak_checks_catch_planted_secrets,
    ]))
