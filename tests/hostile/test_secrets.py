"""No secret leaves the module: logins with debug=on against the real test IdP, through a
recording pass-through proxy (fault_server in "proxy" mode), so the test knows the REAL
device codes, access, refresh and ID tokens the IdP issued and the client secrets sent;
then it looks for each of them (whole, in part, and in its encoded forms) in everything
the module wrote: syslog (all levels), the PAM conversation, pam_drive's stderr, the PAM
environment, and the argv and environment of the process while it waits at the prompt
(after pam_end for a login without one: a remembered approval). After pam_end some cases
scan the heap too (heap_leaks). TAP output; run with /usr/bin/python3.

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


# Where libraries keep copies of what crossed the wire, in buffers they free without
# wiping: a refresh token's text found there is noted, not counted (heap_leaks), since the
# module cannot reach them. libcurl (7.88) builds each request, headers and body, in one
# buffer (HTTP_MESSAGE), and reads each answer into one download buffer per handle, which
# it NUL-terminates after every read, so a later read (the next answer's headers) overwrites
# the start of an earlier body (DOWNLOAD_BUFFER); libcurl has no option to wipe either.
# OpenSSL decrypts each TLS record in place in its read buffer (TLS_RECORD) and frees it
# unwiped unless SSL_OP_CLEANSE_PLAINTEXT is set.
HTTP_HEADER = re.compile(rb"\r\n[A-Za-z-]+: [^\r\n]*\r\n\r\n$")
TLS_RECORD = "OpenSSL's TLS read buffer"
HTTP_MESSAGE = "libcurl's request buffer"
DOWNLOAD_BUFFER = "libcurl's download buffer"
LIBRARY_BUFFERS = (HTTP_MESSAGE, DOWNLOAD_BUFFER, TLS_RECORD)


def _text_before(memory, index, limit=16384):
    start = index
    while start > 0 and index - start < limit and (32 <= memory[start - 1] < 127 or memory[start - 1] in (10, 13)):
        start -= 1
    return start


def library_buffer(memory, index, length):
    """Which library's buffer holds the copy of a token's text at INDEX in MEMORY (one of
    LIBRARY_BUFFERS), or None when it is none of theirs: the module's own memory. A TLS 1.3
    record's plaintext (here a JSON answer) ends with its inner content type 0x17."""
    end = index + length
    while end < len(memory) and end - index < 16384 and 32 <= memory[end] < 127:
        end += 1
    if memory[end - 1:end + 1] == b"}\x17":
        return TLS_RECORD
    start = _text_before(memory, index)
    before = memory[start:index]
    # Headers, a blank line, then the body with the token: a whole HTTP message.
    blank = before.find(b"\r\n\r\n")
    if blank >= 0 and HTTP_HEADER.search(before[:blank + 4]):
        return HTTP_MESSAGE
    # The rest of a body whose start a later answer's headers overwrote, NUL-terminated.
    if start > 0 and memory[start - 1] == 0:
        earlier = memory[_text_before(memory, start - 1):start - 1]
        if HTTP_HEADER.search(earlier):
            return DOWNLOAD_BUFFER
    return None


def heap_leaks(pid, known, allowed=LIBRARY_BUFFERS, notes=None):
    """What the process's heap (the brk heap and anonymous mappings: malloc's arenas) still
    holds, after pam_end, of what the module decoded from signed tokens (the signature
    bytes and the decoded claims) and of the refresh tokens it read, sent or received (their
    text). The module wipes all of these before freeing them; without that they stay in
    freed chunks. Windows of signatures start past a chunk's first 16 bytes (which malloc
    reuses for its own pointers). A refresh token's text found in a library's buffer listed
    in ALLOWED is not counted, only noted in NOTES (see library_buffer)."""
    wanted, texts = [], []
    for kind, value in known:
        if kind in ("refresh_token", "request refresh_token"):
            # Opaque: the token's own text is what the module holds (the record it read and
            # wrote, the form it sent, the answer it parsed).
            texts.append((f"{kind} text", value.encode()))
        if kind in ("id_token", "access_token") and value.count(".") == 2:
            _header, payload, signature = value.split(".")
            wanted.append((f"{kind} signature bytes", b64url_bytes(signature)))
            # The claims the token alone carries (jti, at_hash, sid, ...): public values
            # (the issuer, audiences, client id) stand in the discovery document and the
            # configuration too, so finding them proves nothing.
            for name, claim in json.loads(b64url_bytes(payload)).items():
                if isinstance(claim, str) and len(claim) >= 16 and name not in PUBLIC_CLAIMS:
                    wanted.append((f"{kind} decoded claim {name}", claim.encode()))
    if not wanted and not texts:
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
    for what, raw in texts:
        # Every copy of every 16-byte window: those in a library's buffer are set aside.
        places = {}
        for start in range(0, len(raw) - 16 + 1, 4):
            at = memory.find(raw[start:start + 16])
            while at >= 0:
                places.setdefault(at - start, library_buffer(memory, at, 16))
                at = memory.find(raw[start:start + 16], at + 1)
        own = [at for at, where in places.items() if where is None or where not in allowed]
        if own:
            where = {places[at] or "the module's memory" for at in own}
            found.append(f"heap after pam_end: {what}, {len(own)} cop{'y' if len(own) == 1 else 'ies'} "
                         f"in {', '.join(sorted(where))}")
        if notes is not None:
            for library in sorted({w for w in places.values() if w is not None and w in allowed}):
                notes.append(f"{what}: {sum(1 for w in places.values() if w == library)} in {library}")
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


def process_leaks(where, known):
    """What argv and the environment of the process at WHERE (/proc/PID) hold of KNOWN."""
    with open(f"{where}/cmdline", "rb") as f:
        argv = f.read().decode("utf-8", "replace")
    with open(f"{where}/environ", "rb") as f:
        environ = f.read().decode("utf-8", "replace")
    found = []
    for kind, value in known:
        found.extend("argv: " + x for x in leaks(argv, kind, value))
        found.extend("environ: " + x for x in leaks(environ, kind, value))
    return found


def run_login(stack, name, config, user="alice", approver="alice", decision="allow", expect=H.PAM_SUCCESS,
              secret=None, need=("device_code", "access_token"), scan_heap=False, service=None,
              heap_allowed=LIBRARY_BUFFERS):
    """One login through a new service NAME with CONFIG (or through SERVICE again, when
    given: a remembered approval's key includes the service). HEAP_ALLOWED: the library
    buffers in which the heap scan lets a refresh token's text be (heap_leaks)."""
    state = setup(stack)
    directory = stack.new_dir(name)
    if secret is not None:
        config["client_secret_file"] = stack.write_secret(directory, secret)
    service = service or stack.service(name, config)
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
            known = secrets_seen_by_proxy(mark) + ([("client secret", secret)] if secret else [])
            if not any(kind == "device_code" for kind, _ in known):
                process_findings.append("no device_code seen by the proxy before the prompt")
            process_findings.extend(process_leaks(where, known))
        if decision is not None:
            stack.idp.approve(login.user_code, approver, f"{approver}-pw", decision)

    heap_findings = []
    heap_notes = []
    scanned = []

    def after_end(login, pid):
        # Secrets the proxy saw are known by now: the process lives on, past pam_end. A
        # login without a prompt (a remembered approval) is looked at here alone.
        known = secrets_seen_by_proxy(mark)
        process_findings.extend(f"after pam_end: {x}" for x in process_leaks(f"/proc/{pid}", known))
        found, size = heap_leaks(pid, known, heap_allowed, heap_notes)
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
    for note in heap_notes:
        print(f"# {name}: heap after pam_end, not counted: {note}", flush=True)
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


def remembered_logins(stack, name, heap_allowed=LIBRARY_BUFFERS):
    """remember with offline_access: a first login keeps the refresh token in its record; a
    second through the same service reuses it with one refresh-token request (the proxy
    sees the token sent and the rotated one that comes back) and shows no code. Both are
    checked as every login here is; the second has no prompt, so argv and the environment
    of its process are read after pam_end, before the heap scan."""
    remember_dir = os.path.join(stack.new_dir(f"{name}-dir"), "remember")
    config = proxied_config(stack, scope="openid profile offline_access", scope_source="response",
                            identity_source="userinfo", remember="600", remember_dir=remember_dir)
    first = run_login(stack, f"{name}-first", config, need=("device_code", "access_token", "refresh_token"),
                      scan_heap=True, heap_allowed=heap_allowed)
    service = re.search(r"pam_oauth2\((test-[^:]+):auth\)", first.log).group(1)
    second = run_login(stack, f"{name}-reused", config, service=service, decision=None,
                       need=("request refresh_token", "refresh_token", "access_token", "id_token"), scan_heap=True,
                       heap_allowed=heap_allowed)
    H.Check.contains(second.log, "reason=remembered approval_age=", "the second login reused the approval")
    H.Check.contains(second.log, "revalidated=yes", "the second login revalidated")
    H.Check.equal(second.codes_shown, 0, "codes shown by the second login")
    records = [name for name in os.listdir(remember_dir) if name.endswith(".approval")]
    H.Check.equal(len(records), 1, f"records in {remember_dir}")
    with open(os.path.join(remember_dir, records[0])) as f:
        if "\nrefresh_token " not in f.read():
            raise AssertionError("the record kept no refresh token: the case would prove nothing")


@H.serial
def test_remembered_approval_never_shows_its_refresh_token(stack):
    remembered_logins(stack, "remember")


@H.serial
def test_no_token_text_in_tls_read_buffers_after_pam_end(stack):
    # As above, but a refresh token's text in OpenSSL's read buffer counts too: without
    # SSL_OP_CLEANSE_PLAINTEXT (io/http_client.c) the answer of every token request (and so
    # each access, refresh and ID token) stays in the heap.
    remembered_logins(stack, "remember-tls", heap_allowed=(HTTP_MESSAGE, DOWNLOAD_BUFFER))


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


def test_the_heap_scan_counts_the_modules_own_copies(stack):
    """library_buffer sets aside only what a library's buffer holds: the shapes in which
    the module itself keeps a refresh token (a record line, a field, the form it builds, an
    answer's body) are the module's."""
    token = b"Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"
    own = [
        b"pam_oauth2 remembered-approval 1\nkey 00\nrefresh_token " + token + b"\n",
        b"\x00" * 16 + token + b"\x00",
        b"grant_type=refresh_token&refresh_token=" + token + b"&client_id=pam-public\x00",
        b'{"access_token":"x","refresh_token":"' + token + b'","token_type":"Bearer"}\x00',
    ]
    libraries = [
        (b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9\r\n\r\n"
         b"grant_type=refresh_token&refresh_token=" + token + b"&client_id=pam-public\x00", HTTP_MESSAGE),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 66\r\n\r\n\x00" + b'eyJhbGciOi","refresh_token":"' + token
         + b'","scope":"openid"}\x00', DOWNLOAD_BUFFER),
        (b'\x00\x00{"refresh_token":"' + token + b'","token_type":"Bearer"}\x17' + bytes(range(16)), TLS_RECORD),
    ]
    for memory in own:
        H.Check.equal(library_buffer(memory, memory.find(token), 16), None, f"the module's copy in {memory!r}")
    for memory, library in libraries:
        H.Check.equal(library_buffer(memory, memory.find(token), 16), library, f"the copy in {memory!r}")


if __name__ == "__main__":
    common.use_var_tmp()
    sys.exit(H.main([
        test_public_client_response_scopes_userinfo_identity,
        test_basic_client_introspection_userinfo,
        test_post_client_introspection_id_token,
        test_jwt_access_token_scopes_id_token_identity,
        test_offline_access_refresh_token_never_shown,
        test_remembered_approval_never_shows_its_refresh_token,
        test_no_token_text_in_tls_read_buffers_after_pam_end,
        test_another_user_approving_logs_no_token,
        test_denied_login_logs_no_device_code,
        test_wrong_client_secret_is_not_logged,
        test_the_leak_checks_catch_planted_secrets,
        test_the_heap_scan_counts_the_modules_own_copies,
    ]))
