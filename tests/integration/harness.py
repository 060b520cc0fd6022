"""Shared machinery for the integration tests: the test IdP, logins through the real
Linux-PAM stack (tests/pam_drive with pam_start_confdir on a service directory of our
own), captured syslog, and a TAP runner.

Run under Debian's /usr/bin/python3 (stdlib only). Needs root, as CI has: the module
refuses configuration and secret files that root does not own.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

BUILD = os.environ.get("top_builddir", os.getcwd())
SRC = os.environ.get("top_srcdir", os.getcwd())
MODULE = os.environ.get("PAM_OAUTH2_MODULE", os.path.join(BUILD, ".libs", "pam_oauth2.so"))
IDP_MODULES = os.environ.get("PAM_OAUTH2_IDP_MODULES") or os.path.join(SRC, "tests", "idp", "node_modules")
PAM_DRIVE = os.path.join(BUILD, "tests", "pam_drive")
# PAM_OAUTH2_TEST_TIMEOUT_EXTRA=N: pam_drive runs slowly (under valgrind,
# tests/fuzz/sanitizer_check.sh), so every timeout and http_timeout a test writes into a
# configuration, and the harness's own limit on a login, are N seconds longer. Added, not
# multiplied: the gaps between them, which some cases are about, stay as written.
TIMEOUT_EXTRA = int(os.environ.get("PAM_OAUTH2_TEST_TIMEOUT_EXTRA") or "0")
SYSLOG_SHIM = os.path.join(BUILD, "tests", ".libs", "syslog_capture.so")

# Linux-PAM return codes (security/_pam_types.h).
PAM_SUCCESS = 0
PAM_SERVICE_ERR = 3
PAM_SYSTEM_ERR = 4
PAM_AUTH_ERR = 7
PAM_AUTHINFO_UNAVAIL = 9
PAM_MAXTRIES = 11
PAM_CONV_ERR = 19

CODE_LINE = re.compile(r"Open (\S+) and enter the code: (\S+)")


def start_idp(workdir, env_overrides=None):
    """Copies the IdP's files into WORKDIR (the source tree may be read-only, as in
    distcheck), links its node_modules, and starts it (with ENV_OVERRIDES, such as a fixed
    IDP_PORT)."""
    idp_src = os.path.join(SRC, "tests", "idp")
    idp_dir = os.path.join(workdir, "idp")
    os.makedirs(idp_dir, exist_ok=True)
    for name in ("server.mjs", "package.json", "make_certs.sh", "approve.py", "idp_fixture.py"):
        shutil.copy(os.path.join(idp_src, name), idp_dir)
    if not os.path.isdir(os.path.join(IDP_MODULES, "oidc-provider")):
        raise RuntimeError(f"{IDP_MODULES} lacks oidc-provider: run `npm ci` in tests/idp")
    os.symlink(IDP_MODULES, os.path.join(idp_dir, "node_modules"))
    sys.path.insert(0, idp_dir)
    import idp_fixture  # noqa: E402  (the copy just made)
    idp = idp_fixture.TestIdP(os.path.join(workdir, "idp-run"), env_overrides)
    idp.start()
    return idp


def endpoint_config(idp, **overrides):
    """A module configuration naming the test IdP's endpoints explicitly (no discovery);
    OVERRIDES replace keys, None removes one."""
    issuer = idp.issuer
    config = {
        "device_authorization_endpoint": f"{issuer}/device/auth",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/me",
        "client_id": "pam-public",
        "scope": "openid profile",
        "ca_file": idp.ca_file,
        "timeout": "60",
        "http_timeout": "5",
        "debug": "on",
        "cache": "off",  # cache tests turn it on with a directory of their own
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


class Login:
    """What one PAM transaction showed and returned."""

    def __init__(self):
        self.info = []      # PAM_TEXT_INFO messages
        self.errors = []    # PAM_ERROR_MSG messages
        self.prompts = []
        self.prompt_echo = []  # per prompt: True when the module asked for an echoed answer
        self.result = None  # pam_authenticate's return code (the last attempt's)
        self.results = []   # every attempt's, in order
        self.setcred = None
        self.env = {}       # the PAM environment after success
        self.url = None
        self.user_code = None
        self.codes_shown = 0
        self.log = ""       # captured syslog lines
        self.raw = b""      # pam_drive's stdout, byte for byte (what a terminal would get)
        self.raw_log = b""  # the captured syslog, byte for byte
        self.elapsed = None

    @property
    def shown(self):
        return "\n".join(self.info + self.prompts)


class Stack:
    """A PAM service directory of our own: one service file per test."""

    def __init__(self, workdir, idp):
        self.workdir = workdir
        self.idp = idp
        self.service_dir = os.path.join(workdir, "pam.d")
        os.makedirs(self.service_dir, exist_ok=True)
        with open(os.path.join(self.service_dir, "other"), "w") as f:
            f.write("auth required pam_deny.so\n")
        self._count = 0
        self._lock = threading.Lock()

    def new_dir(self, name):
        with self._lock:
            self._count += 1
            path = os.path.join(self.workdir, f"{self._count:02d}-{name}")
        os.makedirs(path)
        return path

    def base_config(self, **overrides):
        return endpoint_config(self.idp, **overrides)

    def issuer_config(self, **overrides):
        """A configuration that names only the issuer: everything else is discovered."""
        config = {
            "issuer": self.idp.issuer,
            "client_id": "pam-public",
            "ca_file": self.idp.ca_file,
            "timeout": "60",
            "http_timeout": "5",
            "debug": "on",
            "cache": "off",
        }
        config.update(overrides)
        return {k: v for k, v in config.items() if v is not None}

    def write_file(self, directory, name, text, mode=0o644):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def write_secret(self, directory, secret):
        path = os.path.join(directory, "client_secret")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        return path

    def service(self, name, config, args=(), control="required", after=()):
        """Writes NAME's config file and service file (our module with CONTROL, then the
        lines AFTER); returns the service name."""
        directory = self.new_dir(name)
        conf = os.path.join(directory, "pam_oauth2.conf")
        with open(conf, "w") as f:
            f.write("# written by the integration tests\n")
            for key, value in config.items():
                if key in ("timeout", "http_timeout") and str(value).isdigit():
                    value = int(value) + TIMEOUT_EXTRA
                f.write(f"{key} = {value}\n")
        os.chmod(conf, 0o644)
        service = f"test-{os.path.basename(directory)}"
        arguments = " ".join([f"config={conf}"] + [f"[{a}]" if " " in a else a for a in args])
        with open(os.path.join(self.service_dir, service), "w") as f:
            f.write(f"auth {control} {MODULE} {arguments}\n")
            for line in after:
                f.write(line + "\n")
        return service

    def login(self, service, user, on_prompt=None, on_code=None, rhost=None, silent=False, close_stdin=False,
              timeout=120, attempts=1, extra_env=None, on_end=None, wrap=()):
        """Runs pam_authenticate for USER through SERVICE. ON_CODE(login) runs once the
        code is shown; ON_PROMPT(login) before Enter is pressed; ON_END(login, pid) after
        pam_end, while the process still lives. WRAP is a command prefix (unshare ...)."""
        login = Login()
        capture = os.path.join(self.workdir, f"syslog-{service}-{threading.get_ident()}.log")
        env = dict(os.environ)
        env.update({
            # The real libpam reads our service directory (pam_start_confdir); only the
            # syslog capture is preloaded.
            "LD_PRELOAD": SYSLOG_SHIM,
            "PAM_DRIVE_CONFDIR": self.service_dir,
            "SYSLOG_CAPTURE_FILE": capture,
            "PAM_DRIVE_FLAGS": "silent" if silent else "",
            "PAM_DRIVE_ATTEMPTS": str(attempts),
        })
        if on_end:
            env["PAM_DRIVE_PAUSE_AT_END"] = "1"
        env.update(extra_env or {})
        argv = list(wrap) + [PAM_DRIVE, service, user] + ([rhost] if rhost else [])
        started = time.monotonic()
        # Bytes, not text: text mode would turn a CR the module sent into a line break and
        # hide it from the checks on login.raw.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        timer = threading.Timer(timeout + TIMEOUT_EXTRA, proc.kill)
        timer.start()
        try:
            last = None  # the list the previous line went to, for multi-line messages
            for raw in proc.stdout:
                login.raw += raw
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line.startswith("INFO: "):
                    login.info.append(line[6:])
                    last = login.info
                elif line.startswith("ERROR: "):
                    login.errors.append(line[7:])
                    last = login.errors
                elif line.startswith("PROMPT: ") or line.startswith("PROMPT-ECHO: "):
                    echo = line.startswith("PROMPT-ECHO: ")
                    login.prompts.append(line.split(": ", 1)[1])
                    login.prompt_echo.append(echo)
                    last = None
                    if on_prompt:
                        on_prompt(login)
                    try:
                        if close_stdin:
                            proc.stdin.close()
                        else:
                            proc.stdin.write(b"\n")
                            proc.stdin.flush()
                    except BrokenPipeError:
                        # The process stopped reading (a conversation that never reads input).
                        try:
                            proc.stdin.close()
                        except OSError:
                            pass
                    continue
                elif line.startswith("RESULT authenticate "):
                    login.result = int(line.split()[2])
                    login.results.append(login.result)
                    continue
                elif line.startswith("ENDED "):
                    # PAM_DRIVE_PAUSE_AT_END: pam_end has run; the process waits for a line.
                    if on_end:
                        on_end(login, int(line.split()[1]))
                    try:
                        proc.stdin.write(b"\n")
                        proc.stdin.flush()
                    except BrokenPipeError:
                        pass
                    continue
                elif line.startswith("RESULT setcred "):
                    login.setcred = int(line.split()[2])
                    continue
                elif line.startswith("ENV: "):
                    name, _, value = line[5:].partition("=")
                    login.env[name] = value
                    continue
                elif last is not None and last:
                    last[-1] += "\n" + line
                match = CODE_LINE.search(line)
                if match:
                    # A retry shows a new code: the latest is the one to act on.
                    login.url, login.user_code = match.group(1), match.group(2)
                    login.codes_shown += 1
                    if on_code:
                        on_code(login)
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
        login.elapsed = time.monotonic() - started
        if os.path.exists(capture):
            with open(capture, "rb") as f:
                login.raw_log = f.read()
            login.log = login.raw_log.decode("utf-8", "replace")
        if login.result is None:
            raise AssertionError(f"pam_drive gave no result (exit {proc.returncode}); shown: {login.shown!r}")
        return login

    def log_mark(self):
        """Where the IdP's request log stands now (the log is never reset during a run)."""
        return len(self.idp.log())

    def log_since(self, mark):
        return self.idp.log()[mark:]

    def approver(self, who, password=None, decision="allow", mfa=False, auth_age=None):
        """An ON_PROMPT/ON_CODE callback approving (or denying) as WHO; MFA signs in with
        the second factor too, AUTH_AGE dates the sign-in that many seconds back."""
        def act(login):
            self.idp.approve(login.user_code, who, password or f"{who}-pw", decision,
                             otp=f"{who}-otp" if mfa else None, auth_age=auth_age)
        return act


# C0 controls (all: a line break only separates lines), DEL, C1 controls, and the Unicode
# format characters that reorder or hide text (bidi overrides and isolates, zero-width ones).
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufffd]")


def unsafe_characters(data, what):
    """Problems with DATA (bytes the module wrote): invalid UTF-8 or a forbidden character
    on any line. Returns a list of strings (empty when clean)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{what}: invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 20]!r}"]
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        match = FORBIDDEN.search(line)
        if match:
            problems.append(f"{what} line {number}: U+{ord(match.group()):04X} in {line!r}")
    return problems


class Check:
    """Assertions that say what was expected and what was seen."""

    @staticmethod
    def equal(seen, expected, what):
        if seen != expected:
            raise AssertionError(f"{what}: expected {expected!r}, got {seen!r}")

    @staticmethod
    def contains(text, needle, what):
        if needle not in text:
            raise AssertionError(f"{what}: {needle!r} not found in:\n{text}")

    @staticmethod
    def absent(text, needle, what):
        if needle in text:
            raise AssertionError(f"{what}: {needle!r} must not appear in:\n{text}")


def run_tap(cases, parallel=4):
    """Runs CASES (functions; .serial ones alone, after the others) and prints TAP."""
    print(f"1..{len(cases)}", flush=True)
    outcomes = {}

    def run(case):
        started = time.monotonic()
        try:
            case()
            outcomes[case] = (True, "", time.monotonic() - started)
        except Exception:  # noqa: BLE001  (any failure is a failed case)
            outcomes[case] = (False, traceback.format_exc(), time.monotonic() - started)

    concurrent = [c for c in cases if not getattr(c, "serial", False) and not getattr(c, "last", False)]
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(run, concurrent))
    for case in cases:
        if getattr(case, "serial", False):
            run(case)
    for case in cases:
        if getattr(case, "last", False):
            run(case)
    failed = 0
    for number, case in enumerate(cases, 1):
        ok, trace, seconds = outcomes[case]
        name = case.__name__
        reason = getattr(case, "todo", None)
        directive = f" # TODO {reason}" if reason else ""
        print(f"{'ok' if ok else 'not ok'} {number} - {name} ({seconds:.1f} s){directive}")
        if not ok:
            failed += 0 if reason else 1
            for line in trace.rstrip().splitlines():
                print(f"# {line}")
    sys.stdout.flush()
    return 1 if failed else 0


def serial(case):
    """Marks a case that reads the IdP's request log: it runs alone."""
    case.serial = True
    return case


def last(case):
    """Marks a case that checks what the whole run did: it runs after all others."""
    case.last = True
    return case


def silent_listener():
    """A TCP port that accepts connections and never answers. Returns (port, closer)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    def close():
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()

    return server.getsockname()[1], close


def closed_port():
    """A port on 127.0.0.1 where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def todo(reason):
    """Marks a case that checks for a known bug (REASON) not fixed yet: TAP's TODO. Its
    failure is expected (XFAIL); once it passes (XPASS) the suite fails, so that the mark
    goes when the fix comes."""
    def mark(case):
        case.todo = reason
        return case
    return mark


def bind(case, stack):
    """CASE(stack) as a function of no arguments, keeping its name and marks."""
    def bound():
        case(stack)
    bound.__name__ = case.__name__
    bound.serial = getattr(case, "serial", False)
    bound.last = getattr(case, "last", False)
    bound.todo = getattr(case, "todo", None)
    return bound


def in_ci():
    """Whether this is a CI run: the variable CI set and not empty (.ci/run)."""
    return bool(os.environ.get("CI"))


def missing_prerequisite(reason):
    """A suite that cannot run because REASON (a tool, root, a module is missing): locally
    a skip that says so, under CI a failure, so that no suite drops out of a CI run unseen.
    Prints the TAP line; returns the exit code. (The shell scripts: tests/tap_skip.sh.)"""
    if in_ci():
        print(f"Bail out! {reason} (CI is set, so this fails instead of skipping)")
        return 1
    print(f"1..0 # SKIP {reason}")
    return 0


def stack_prerequisites():
    """What every suite that drives the real PAM stack needs, as a list of what is missing:
    root (the module trusts only root-owned files) and the built module, pam_drive and the
    syslog shim."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (the module only trusts root-owned files)")
    for path in (MODULE, PAM_DRIVE, SYSLOG_SHIM):
        if not os.path.exists(path):
            missing.append(f"{path} (make check builds it)")
    return missing


def run_suite(prefix, body, workdir=None):
    """The frame every suite's main shares: BODY(workdir) -> exit status runs in a fresh
    work directory (or WORKDIR); an exception is a TAP "Bail out!"; the directory is
    removed afterwards unless KEEP_TEST_DIR is set. BODY stops its own servers."""
    workdir = workdir or tempfile.mkdtemp(prefix=prefix)
    try:
        return body(workdir)
    except Exception:  # noqa: BLE001
        print("Bail out! " + traceback.format_exc().strip().splitlines()[-1])
        traceback.print_exc()
        return 1
    finally:
        if os.environ.get("KEEP_TEST_DIR"):
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(cases):
    if os.geteuid() != 0:
        return missing_prerequisite("integration tests need root (the module only trusts root-owned files)")

    def body(workdir):
        idp = start_idp(workdir)
        try:
            stack = Stack(workdir, idp)
            return run_tap([bind(case, stack) for case in cases])
        finally:
            idp.stop()
    return run_suite("pam_oauth2-it-", body)
