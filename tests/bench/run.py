#!/usr/bin/python3
"""Performance benchmark of pam_oauth2: real logins through the real Linux-PAM stack
(tests/pam_drive on pam_start_confdir) against the local test IdP (tests/idp).

    /usr/bin/python3 tests/bench/run.py [--quick] [--logins N] [--sweep 1,10,50,100,200] [--strace]

Run as root from the top of a built tree (`make -j2`). Not part of `make check`: times are
measured, never asserted. Prints tables and writes tests/bench/results.csv. See
tests/bench/README.md for what each column means and the targets.
"""

import argparse
import csv
import datetime
import hashlib
import math
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("top_builddir", os.getcwd())
os.environ.setdefault("top_srcdir", TOP)
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import harness  # noqa: E402  (the integration tests' machinery: IdP, service files, paths)

USER = "alice"
RESOURCE = "urn:pam-oauth2:test"
BASIC_SECRET = "s3cr3t:with/special+chars&=%"
CHECK_TOOL = os.path.join(harness.BUILD, "pam_oauth2-check")
RESULT_CSV = os.path.join(HERE, "results.csv")

# Debug-log lines of the module that mark the start of a phase (login_flow.c, login_trust.c).
PHASE_MARKS = (
    ("cache", "cache "),
    ("discovery", "discovery: "),
    ("device_request", "device authorization request to"),
    ("token_granted", "token granted"),
    ("jwks", "fetching keys from"),
    ("introspection", "introspection at"),
    ("scopes", "granted scopes"),
    ("identity", "identity (identity_source="),
    ("result_line", "result="),
)


# ------------------------------------------------------------------ statistics

def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of VALUES; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def median(values):
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# ------------------------------------------------------------------ one login

class Run:
    """What one pam_drive process showed, when, and what it cost."""

    def __init__(self):
        self.t_spawn = None
        self.t_first_info = None
        self.t_prompt = None
        self.t_enter = None
        self.t_result = None
        self.result = None
        self.user_code = None
        self.approve_ms = None
        self.cpu_ms = None
        self.maxrss_kib = None
        self.exit = None
        self.phases = {}     # phase name -> monotonic time of its first debug-log line
        self.log_lines = []  # (monotonic time, line) of the captured syslog
        self.error = None
        self.stderr = ""
        self.approve_error = None  # the harness's approval failed at the IdP
        self.memory = None         # pam_drive's resident memory by mapping, at the prompt

    def ms(self, a, b):
        x, y = getattr(self, a), getattr(self, b)
        return (y - x) * 1000.0 if x is not None and y is not None else None


def memory_map(helper_pid):
    """Resident KiB of pam_drive (the spawn_rusage helper's child) by mapped file, read from
    /proc/PID/smaps while it waits at the prompt; with VmHWM and VmRSS."""
    try:
        with open(f"/proc/{helper_pid}/task/{helper_pid}/children") as f:
            pid = int(f.read().split()[0])
        by_name = Counter()
        name = None
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split()
                if not head:
                    continue
                if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                    name = os.path.basename(head[5]) if len(head) > 5 else "[anon]"
                elif head[0] == "Rss:":
                    by_name[name] += int(head[1])
                elif head[0] in ("Pss:", "Private_Dirty:"):
                    by_name["=" + head[0][:-1]] += int(head[1])
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    by_name["=" + line.split(":")[0]] = int(line.split()[1])
        return by_name
    except (OSError, ValueError, IndexError):
        return None


class SyslogFifo:
    """The syslog capture shim appends each line to SYSLOG_CAPTURE_FILE (opening it per
    line); pointing it at a FIFO lets us timestamp every line as it is written."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path, 0o600)
        # O_RDWR: never blocks on open, and never sees EOF between the shim's fopen/fclose.
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.lines = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        pending = b""
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except BlockingIOError:
                    chunk = b""
                now = time.monotonic()
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    self.lines.append((now, line.decode("utf-8", "replace")))
            elif self._stop.is_set():
                return

    def close(self):
        self._stop.set()
        self._thread.join()
        os.close(self.fd)
        os.unlink(self.path)


class Driver:
    """Spawns pam_drive (pam_start_confdir on the stack's service directory) with the syslog
    shim, and times what it shows."""

    def __init__(self, stack, idp, interval_s):
        self.memory_at_prompt = False
        self.stack = stack
        self.idp = idp
        self.interval_s = interval_s
        self._fifo_count = 0
        self._lock = threading.Lock()
        # pam_drive runs under a small C helper that reports its own rusage (spawn_rusage.c).
        self.spawn_rusage = os.path.join(stack.workdir, "spawn_rusage")
        subprocess.run(["cc", "-O2", "-o", self.spawn_rusage, os.path.join(HERE, "spawn_rusage.c")], check=True)

    def env(self, capture):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)  # spawn_rusage sets it for pam_drive alone
        env.update({
            "PAM_DRIVE_CONFDIR": self.stack.service_dir,
            "PAM_DRIVE_FLAGS": "",
            "PAM_DRIVE_ATTEMPTS": "1",
        })
        env.pop("SYSLOG_CAPTURE_FILE", None)
        if capture:
            env["SYSLOG_CAPTURE_FILE"] = capture
        return env

    def login(self, service, approve=True, timestamp_log=False, timeout=90, start_barrier=None, wrap=None):
        """One pam_authenticate for USER. With APPROVE: approves over HTTP at the prompt,
        waits until the IdP's interval has passed since the code was shown, presses Enter."""
        run = Run()
        fifo = None
        if timestamp_log:
            with self._lock:
                self._fifo_count += 1
                path = os.path.join(self.stack.workdir, f"syslog-fifo-{self._fifo_count}")
            fifo = SyslogFifo(path)
        env = self.env(fifo.path if fifo else None)
        if start_barrier is not None:
            start_barrier.wait()
        with self._lock:
            self._fifo_count += 1
            usage_file = os.path.join(self.stack.workdir, f"rusage-{self._fifo_count}")
        preload = harness.SYSLOG_SHIM
        stderr_path = usage_file + ".stderr"
        stderr_file = open(stderr_path, "wb")
        run.t_spawn = time.monotonic()
        helper = [self.spawn_rusage]
        if wrap:  # e.g. strace: the preload goes to pam_drive alone
            helper += [usage_file, ""] + wrap(preload)
        else:
            helper += [usage_file, preload]
        proc = subprocess.Popen(helper + [harness.PAM_DRIVE, service, USER],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0, close_fds=True,
                                start_new_session=True, stderr=stderr_file)
        stderr_file.close()

        def kill():
            try:
                os.killpg(proc.pid, 9)
            except OSError:
                pass

        killer = threading.Timer(timeout, kill)
        killer.start()
        try:
            self._converse(proc, run, approve)
        except Exception as e:  # noqa: BLE001  (reported as this login's failure)
            run.error = f"{type(e).__name__}: {e}"
            kill()
        finally:
            killer.cancel()
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            run.exit = proc.wait()
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                run.stderr = f.read()
            os.unlink(stderr_path)
            try:
                with open(usage_file) as f:
                    utime_us, stime_us, maxrss, _ = (int(x) for x in f.read().split())
                os.unlink(usage_file)
                run.cpu_ms = (utime_us + stime_us) / 1000.0
                run.maxrss_kib = maxrss
            except (OSError, ValueError):
                if run.error is None:
                    run.error = f"no rusage from spawn_rusage (exit {run.exit})"
            if fifo:
                fifo.close()
                run.log_lines = fifo.lines
                for name, needle in PHASE_MARKS:
                    for t, line in fifo.lines:
                        if needle in line:
                            run.phases[name] = t
                            break
        if run.error is None and run.result is None:
            first = run.stderr.strip().splitlines()[:1]
            run.error = f"no RESULT authenticate line (exit {run.exit})" + (f": {first[0][:160]}" if first else "")
        return run

    def _converse(self, proc, run, approve):
        fd = proc.stdout.fileno()
        pending = b""
        text_so_far = []
        while True:
            chunk = os.read(fd, 65536)
            now = time.monotonic()
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                if line.startswith("INFO: ") and run.t_first_info is None:
                    run.t_first_info = now
                if run.user_code is None:
                    match = harness.CODE_LINE.search(line)
                    if match:
                        run.user_code = match.group(2)
                text_so_far.append(line)
                if line.startswith("PROMPT: "):
                    run.t_prompt = now
                    if self.memory_at_prompt:
                        run.memory = memory_map(proc.pid)
                    if approve:
                        if run.user_code is None:
                            raise RuntimeError("prompt without a user code: " + " | ".join(text_so_far)[:300])
                        t = time.monotonic()
                        try:
                            self.idp.approve(run.user_code, USER, f"{USER}-pw", "allow")
                            run.approve_ms = (time.monotonic() - t) * 1000.0
                        except Exception as e:  # noqa: BLE001  (press Enter anyway: what does the module say?)
                            text = str(e)
                            run.approve_error = ("IdP lost the code ('the code was not found')"
                                                 if "code was not found" in text else text.splitlines()[0][:120])
                    # A person takes longer than the interval anyway: press Enter only once the
                    # first poll is allowed (the module took its clock before showing the code).
                    shown = run.t_first_info if run.t_first_info is not None else now
                    wait = shown + self.interval_s + 0.02 - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    run.t_enter = time.monotonic()
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                elif line.startswith("RESULT authenticate "):
                    run.t_result = now
                    run.result = int(line.split()[2])


# ------------------------------------------------------------------ configurations

def cache_keys_present():
    try:
        out = subprocess.run([CHECK_TOOL, "--list-keys"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    keys = {line.split("\t", 1)[0].split()[0] for line in out.splitlines() if line.strip()}
    return {"cache", "cache_dir", "cache_ttl"} <= keys


def configurations(stack, secret_dir):
    """The three configurations measured: name -> (description, config dict)."""
    common = {"require_scope": "ssh:login", "debug": "on", "qr": "utf8"}
    secret = stack.write_secret(secret_dir, BASIC_SECRET)
    return {
        "a": ("issuer + public client, identity from id_token",
              stack.issuer_config(client_id="pam-public", scope="openid profile ssh:login",
                                  identity_source="id_token", username_claim="sub", **common)),
        "b": ("issuer + confidential client (basic), scope_source=introspection",
              stack.issuer_config(client_id="pam-basic", client_secret_file=secret,
                                  scope="openid profile ssh:login", scope_source="introspection", **common)),
        "c": ("issuer + audience, scope_source=jwt",
              stack.issuer_config(client_id="pam-public", scope="openid profile ssh:login", audience=RESOURCE,
                                  scope_source="jwt", **common)),
    }


def private_cache_dir(workdir, name):
    path = tempfile.mkdtemp(prefix=f"cache-{name}-", dir=workdir)
    os.chmod(path, 0o700)
    return path


# ------------------------------------------------------------------ measurements

def strace_timeline(driver, service, out_path, cache_dir, dirs=None, approve=True):
    """One approved login under strace: a timeline (ms since pam_drive's execve) of library
    loading, the CA file, the cache, TCP connects, TLS/HTTP sends, and the lines shown.
    DIRS ({label: path}, e.g. the remember_dir): their files' opens, locks, renames, fsyncs
    and unlinks too, the path shown under its label."""
    dirs = dict(dirs or {})
    if cache_dir:
        dirs.setdefault("<cache_dir>", cache_dir)

    def wrap(preload):
        return ["/usr/bin/strace", "-f", "-tt", "-o", out_path, "-E", f"LD_PRELOAD={preload}", "-e",
                "trace=execve,openat,connect,sendto,recvfrom,write,read,fsync,fdatasync,rename,renameat,mkdir,"
                "flock,unlink,unlinkat", "-s", "200"]

    def short(text):
        for label, path in dirs.items():
            text = text.replace(path, label)
        return text
    run = driver.login(service, approve=approve, timestamp_log=False, wrap=wrap, timeout=120)
    events = []
    t0 = None
    libs = 0
    with open(out_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(None, 2)
            if len(parts) < 3:
                continue
            hh, mm, ss = parts[1].split(":")
            t = (int(hh) * 3600 + int(mm) * 60 + float(ss)) * 1000.0
            call = parts[2]
            if call.startswith("execve(") and harness.PAM_DRIVE in call and t0 is None:
                t0 = t
                events.append((t, "execve pam_drive"))
                continue
            if t0 is None or "ENOENT" in call or "resumed>" in call and "read(" not in call:
                continue
            if call.startswith("openat(") and ".so" in call:
                libs += 1
                name = call.split('"')[1]
                if "pam_oauth2" in name or "pam_wrapper" in name or "syslog_capture" in name:
                    events.append((t, f"open {os.path.basename(name)} (library #{libs})"))
                continue
            if call.startswith("openat("):
                name = call.split('"')[1]
                if name.endswith(".pem") or any(name.startswith(d) for d in dirs.values()) or "openssl.cnf" in name:
                    events.append((t, f"open {short(name)} (after {libs} libraries)"))
            elif call.startswith(("connect(", "rename", "fsync", "fdatasync", "mkdir(", "flock(")) or \
                    call.startswith("unlink") and any(d in call for d in dirs.values()):
                events.append((t, short(call.split(" = ")[0])[:110] + " = " + call.rsplit(" = ", 1)[-1].strip()[:20]))
            elif call.startswith("sendto("):
                events.append((t, "sendto " + call.rsplit(" = ", 1)[-1].strip()[:12] + " bytes"))
            elif call.startswith("recvfrom(") and " = -1 EAGAIN" not in call:
                events.append((t, "recvfrom " + call.rsplit(" = ", 1)[-1].strip()[:12] + " bytes"))
            elif call.startswith("write(1,"):
                events.append((t, "stdout " + call.split('"')[1][:40]))
            elif call.startswith("read(0,"):
                events.append((t, "stdin read (waits for Enter)"))
    lines = []
    previous = None
    for t, what in events:
        # Collapse runs of TLS records into one line each way.
        kind = what.split()[0]
        if previous and kind in ("sendto", "recvfrom") and previous[1].split()[0] == kind:
            continue
        lines.append(f"{t - t0:9.1f} ms  {what}")
        previous = (t, what)
    return run, lines


def summarize_log(entries, interval_s):
    """Requests by endpoint, distinct TCP connections, slow_down answers and the shortest
    gap before a poll, from the IdP's request log of one or more logins."""
    by_path = Counter(e["path"] for e in entries)
    conns = {e["conn"] for e in entries}
    slow_down = sum(1 for e in entries if e.get("error") == "slow_down")
    # Poll spacing per device code: from its /device/auth answer (request arrival) to the
    # first poll, and between polls.
    issued = {}
    last_poll = {}
    gaps = []
    for e in sorted(entries, key=lambda e: e["t_ms"]):
        h = e.get("device_code_hash")
        if e["path"] == "/device/auth" and h:
            issued[h] = e["t_ms"]
        elif e["path"] == "/token" and e.get("grant_type", "").endswith("device_code") and h:
            before = last_poll.get(h, issued.get(h))
            if before is not None:
                gaps.append(e["t_ms"] - before)
            last_poll[h] = e["t_ms"]
    return by_path, conns, slow_down, gaps


def sequential(driver, idp, service, n, label, interval_s):
    """N sequential approved logins (plus one warm-up, not counted)."""
    driver.memory_at_prompt = True
    try:
        warm = driver.login(service, timestamp_log=True)
    finally:
        driver.memory_at_prompt = False
    if warm.result != harness.PAM_SUCCESS:
        raise RuntimeError(f"{label}: warm-up login failed: result={warm.result} error={warm.error}\n"
                           + "\n".join(line for _, line in warm.log_lines))
    runs, logs = [], []
    for i in range(n):
        mark = len(idp.log())
        run = driver.login(service, timestamp_log=True)
        entries = idp.log()[mark:]
        runs.append(run)
        logs.append(entries)
        sys.stderr.write(f"\r  {label}: {i + 1}/{n}")
        sys.stderr.flush()
    sys.stderr.write("\n")
    return warm, runs, logs


def baseline(driver, service, n):
    runs = []
    for _ in range(n):
        runs.append(driver.login(service, approve=False, timestamp_log=False))
    return runs


def sweep(driver, service, concurrency, timeout=120):
    """CONCURRENCY logins started at once, each approved over HTTP at its prompt."""
    barrier = threading.Barrier(concurrency)
    runs = [None] * concurrency

    def one(i):
        try:
            runs[i] = driver.login(service, timestamp_log=False, timeout=timeout, start_barrier=barrier)
        except Exception as e:  # noqa: BLE001
            r = Run()
            r.error = f"{type(e).__name__}: {e}"
            runs[i] = r

    threads = [threading.Thread(target=one, args=(i,)) for i in range(concurrency)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    return runs, wall


# ------------------------------------------------------------------ remembered approvals

REMEMBER_SCOPE = "openid profile ssh:login offline_access"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def idp_counts(idp):
    status, body = idp.request("GET", "/test/log/counts")
    if status != 200:
        raise RuntimeError(f"GET /test/log/counts: HTTP {status}: {body}")
    return body


def own_refresh_token(idp, interval_s, client_id="pam-public"):
    """A grant of the harness's own (device flow over HTTP, approved as alice): the bare
    refresh requests below rotate its token, never the module's."""
    status, auth = idp.request("POST", "/device/auth", {"client_id": client_id, "scope": REMEMBER_SCOPE})
    if status != 200:
        raise RuntimeError(f"/device/auth: HTTP {status}: {auth}")
    idp.approve(auth["user_code"], USER, f"{USER}-pw", "allow")
    time.sleep(interval_s + 0.05)
    status, token = idp.request("POST", "/token", {"grant_type": DEVICE_GRANT, "device_code": auth["device_code"],
                                                   "client_id": client_id})
    if status != 200 or "refresh_token" not in token:
        raise RuntimeError(f"no refresh token for the bare measurements: HTTP {status}: {token}")
    return token["refresh_token"]


class BareRefresh:
    """One refresh_token request to the same token endpoint, each way at each once():
    (1) a curl process started like pam_drive (through spawn_rusage; its own TLS handshake,
    the same libcurl), with curl's own split of the time; (2) in this process on a new TLS
    connection (handshake + request); (3) on one kept-alive connection (the request alone).
    Called between the remembered logins, so that both see the same load."""

    def __init__(self, driver, idp, interval_s, workdir):
        import http.client
        import ssl
        self.driver, self.idp = driver, idp
        self.host, self.port = "127.0.0.1", int(idp.issuer.rsplit(":", 1)[1])
        self.token = own_refresh_token(idp, interval_s)
        self.usage = os.path.join(workdir, "rusage-curl")
        self.context = ssl.create_default_context(cafile=idp.ca_file)
        self.headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        self.connection = http.client.HTTPSConnection
        self.kept = self.connection(self.host, self.port, context=self.context, timeout=10)
        self.kept.request("POST", "/token", self.body(), self.headers)
        self.rotated(self.kept.getresponse().read(), "warm-up")
        self.out = defaultdict(list)

    def body(self):
        import urllib.parse
        return urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": self.token,
                                       "client_id": "pam-public"})

    def rotated(self, raw, what):
        import json
        answer = json.loads(raw)
        if "refresh_token" not in answer:
            raise RuntimeError(f"bare refresh ({what}) refused: {answer}")
        self.token = answer["refresh_token"]  # pam-public's tokens rotate on every use

    def once(self):
        t = time.monotonic()
        proc = subprocess.run([self.driver.spawn_rusage, self.usage, "", "/usr/bin/curl", "-sS", "--cacert",
                               self.idp.ca_file, "--data-binary", "@-", "-w",
                               r"\n%{time_connect} %{time_appconnect} %{time_total}", f"{self.idp.issuer}/token"],
                              input=self.body().encode(), capture_output=True, check=True)
        self.out["curl process (spawn -> exit)"].append((time.monotonic() - t) * 1000.0)
        raw, timings = proc.stdout.decode().rsplit("\n", 1)
        connect, tls, total = (float(x) * 1000.0 for x in timings.split())
        self.out["curl: TCP connect"].append(connect)
        self.out["curl: TLS handshake"].append(tls - connect)
        self.out["curl: request after TLS"].append(total - tls)
        self.out["curl: time_total (connect+TLS+request)"].append(total)
        self.rotated(raw, "curl")
        t = time.monotonic()
        conn = self.connection(self.host, self.port, context=self.context, timeout=10)
        conn.request("POST", "/token", self.body(), self.headers)
        raw = conn.getresponse().read()
        self.out["python, new TLS connection"].append((time.monotonic() - t) * 1000.0)
        conn.close()
        self.rotated(raw, "python")
        t = time.monotonic()
        self.kept.request("POST", "/token", self.body(), self.headers)
        raw = self.kept.getresponse().read()
        self.out["python, kept-alive connection"].append((time.monotonic() - t) * 1000.0)
        self.rotated(raw, "keep-alive")

    def close(self):
        self.kept.close()
        if os.path.exists(self.usage):
            os.unlink(self.usage)


def remember_dirs(workdir):
    """remember_dir on the work directory's file system and on a tmpfs (/dev/shm; the
    default /run/pam_oauth2 is on tmpfs on Debian), each root's with mode 0700."""
    dirs = {"disk": tempfile.mkdtemp(prefix="remember-", dir=workdir)}
    if os.path.isdir("/dev/shm"):
        dirs["tmpfs"] = tempfile.mkdtemp(prefix="pam_oauth2-bench-remember-", dir="/dev/shm")
    for path in dirs.values():
        os.chmod(path, 0o700)
    return dirs


def fs_type(path):
    """The file system type of PATH's mount (findmnt: stat -f says ext2/ext3 for ext4)."""
    try:
        out = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", path], capture_output=True, text=True,
                             timeout=5).stdout
        return out.split()[-1] if out.split() else "?"  # the last of stacked mounts is the one seen
    except (OSError, subprocess.SubprocessError):
        return "?"


def remembered_logins(driver, idp, service, n, label, between=None):
    """N logins that a record should approve: no prompt expected (BETWEEN() runs before
    each). Returns the runs, the IdP's log per login and the IdP's counts over all N,
    less BETWEEN's refreshes."""
    runs, logs = [], []
    idp.reset_log()
    outside = 0
    for i in range(n):
        if between is not None:
            before = idp_counts(idp)["refresh_token"]
            between()
            outside += idp_counts(idp)["refresh_token"] - before
        mark = len(idp.log())
        run = driver.login(service, approve=False, timestamp_log=True)
        logs.append(idp.log()[mark:])
        runs.append(run)
        sys.stderr.write(f"\r  {label}: {i + 1}/{n}")
        sys.stderr.flush()
    sys.stderr.write("\n")
    counts = idp_counts(idp)
    counts["refresh_token"] -= outside
    return runs, logs, counts


def burst_round(driver, idp, service, size, remember_dir):
    """SIZE logins of one key started at once, after the key's record is dropped; the
    harness approves at the one prompt shown. Returns (runs, counts, wall s)."""
    for name in os.listdir(remember_dir):
        if name.endswith(".approval"):
            os.unlink(os.path.join(remember_dir, name))
    idp.reset_log()
    runs, wall = sweep(driver, service, size)
    return runs, idp_counts(idp), wall


def remember_section(driver, stack, idp, n, report, interval_s, workdir, base_total, burst_size=10, bursts=3,
                     strace=False):
    """(i) remembered logins revalidated with one refresh-token request, against the bare
    request; (ii) remembered logins without a refresh token (time only): no IdP request;
    (iii) BURSTS rounds of BURST_SIZE logins at once for one key: one device authorization,
    one approval. Returns (table rows, burst rows, bare rows, findings, strace sections)."""
    rows, burst_rows, bare_rows, findings, traces, targets = [], [], [], [], [], []
    base = median(base_total)
    bare_refresh = BareRefresh(driver, idp, interval_s, workdir)
    bare = bare_refresh.out
    common = {"require_scope": "ssh:login", "debug": "on", "qr": "utf8", "identity_source": "id_token",
              "username_claim": "sub", "cache": "on", "remember": "600"}
    dirs = remember_dirs(workdir)
    try:
        for fs, remember_dir in dirs.items():
            for kind, scope in (("revalidated", REMEMBER_SCOPE), ("time-only", "openid profile ssh:login")):
                label = f"{kind}/{fs}"
                cfg = stack.issuer_config(client_id="pam-public", scope=scope, remember_dir=remember_dir,
                                          cache_dir=private_cache_dir(workdir, f"remember-{kind}-{fs}"), **common)
                service = stack.service(f"bench-remember-{kind}-{fs}", cfg)
                first = driver.login(service, timestamp_log=True)  # the device flow that makes the record
                if first.result != harness.PAM_SUCCESS:
                    raise RuntimeError(f"{label}: first login failed: {first.result} {first.error}")
                runs, logs, counts = remembered_logins(driver, idp, service, n, label,
                                                       bare_refresh.once if kind == "revalidated" else None)
                ok = [r for r in runs if r.result == harness.PAM_SUCCESS and r.t_prompt is None]
                bad = [r for r in runs if r not in ok]
                total = [r.ms("t_spawn", "t_result") for r in ok]
                cpu = [r.cpu_ms for r in ok]
                requests = [len(e) for e in logs]
                paths = Counter(e["path"] for entries in logs for e in entries)
                conns = [len({e["conn"] for e in entries}) for entries in logs]
                reasons = Counter(line.split("reason=", 1)[1].split(" sub=")[0]
                                  for r in ok for _, line in r.log_lines if " result=" in line)
                sec, cfg_name = "remember", label
                report.add(sec, cfg_name, "on", "spawn_to_result_ms", total, "ms",
                           f"remember_dir on {fs_type(remember_dir)}")
                report.add(sec, cfg_name, "on", "spawn_to_result_minus_baseline_ms", [v - base for v in total], "ms",
                           "minus the pam_permit baseline median")
                report.add(sec, cfg_name, "on", "cpu_ms", cpu, "ms")
                report.add(sec, cfg_name, "on", "idp_requests", requests, "per login",
                           " ".join(f"{p}={c}" for p, c in sorted(paths.items())) or "none")
                report.add(sec, cfg_name, "on", "tcp/tls connections", conns, "per login")
                for key in ("device_authorization", "device_code", "refresh_token", "token_other"):
                    report.add(sec, cfg_name, "on", f"idp_counts {key}", [counts.get(key)], f"over {n} logins",
                               "GET /test/log/counts")
                report.add(sec, cfg_name, "on", "failures", [len(bad)], "count",
                           "; ".join(sorted({f"{r.result}:{r.error}:prompt={r.t_prompt is not None}"
                                             for r in bad}))[:300])
                phases = defaultdict(list)
                for r in ok:
                    times = [t for t, _ in r.log_lines]
                    granted = next((t for t, line in r.log_lines if "granted scopes" in line), None)
                    result = next((t for t, line in r.log_lines if " result=" in line), None)
                    if times:
                        phases["spawn->first module log line"].append((times[0] - r.t_spawn) * 1000.0)
                    if times and granted:
                        phases["first log line->grant checked (lock, notes, record, refresh)"].append(
                            (granted - times[0]) * 1000.0)
                    if granted and result:
                        phases["grant checked->result logged (record, notes)"].append((result - granted) * 1000.0)
                    if result:
                        phases["result logged->RESULT line"].append((r.t_result - result) * 1000.0)
                    if times:
                        phases["first module log line->RESULT line (all but loading)"].append(
                            (r.t_result - times[0]) * 1000.0)
                for key, values in phases.items():
                    report.add("remember_phases", cfg_name, "on", key, values, "ms", "from the module's debug log")
                rows.append([label, fs_type(remember_dir), f"{len(ok)}/{n}", fmt(median(total)),
                             fmt(percentile(total, 90)), fmt(percentile(total, 95)),
                             fmt(median(total) - base if total else None), fmt(median(cpu)),
                             " ".join(f"{p}={c / max(1, len(logs)):.1f}" for p, c in sorted(paths.items())) or "none",
                             f"dev={counts.get('device_authorization')} poll={counts.get('device_code')} "
                             f"refresh={counts.get('refresh_token')}",
                             "; ".join(f"{k} x{v}" for k, v in reasons.most_common(2))[:90]])
                for key, values in phases.items():
                    rows.append(["", "", "", fmt(median(values)), fmt(percentile(values, 90)),
                                 fmt(percentile(values, 95)), "", "", key, "", ""])
                if bad:
                    findings.append(f"remember {label}: {len(bad)} of {n} logins not approved without a prompt")
                if kind == "revalidated" and total:
                    after_load = phases["first module log line->RESULT line (all but loading)"]
                    for what, bare_way, mine in (
                            ("whole login vs a curl process", "curl process (spawn -> exit)", total),
                            ("all but loading vs curl time_total", "curl: time_total (connect+TLS+request)", after_load),
                            ("all but loading vs python new TLS connection", "python, new TLS connection", after_load)):
                        theirs = bare[bare_way][-len(runs):]  # the ones taken between these logins
                        over = median(mine) - median(theirs)
                        over90 = percentile(mine, 90) - percentile(theirs, 90)
                        report.add("remember_target", label, "on", what, [over], "ms",
                                   f"p50 difference; p90 difference {over90:.3f}; target <= 5 ms")
                        targets.append([label, what, fmt(median(mine)), fmt(median(theirs)), fmt(over),
                                        fmt(over90), "met" if over <= 5 else "missed"])
                if strace and kind == "revalidated":
                    _, timeline = strace_timeline(driver, service, os.path.join(workdir, f"strace-remember-{fs}.txt"),
                                                  cfg["cache_dir"], {"<remember_dir>": remember_dir}, approve=False)
                    traces.append((f"remembered, revalidated, remember_dir on {fs_type(remember_dir)}", timeline))
                expected = {"revalidated": (0, n), "time-only": (0, 0)}[kind]
                if (counts.get("device_authorization"), counts.get("refresh_token")) != expected or \
                        (kind == "time-only" and sum(requests)):
                    findings.append(f"remember {label}: IdP counts {counts}, {sum(requests)} requests logged; "
                                    f"expected device_authorization, refresh_token = {expected}")
        # (iii) bursts: one key, BURST_SIZE logins at once.
        cfg = stack.issuer_config(client_id="pam-public", scope=REMEMBER_SCOPE, remember_dir=dirs["disk"],
                                  cache_dir=private_cache_dir(workdir, "remember-burst"),
                                  **dict(common, debug="off", timeout="120"))
        service = stack.service("bench-remember-burst", cfg)
        for i in range(bursts):
            runs, counts, wall = burst_round(driver, idp, service, burst_size, dirs["disk"])
            good = [r for r in runs if r.result == harness.PAM_SUCCESS]
            leaders = [r for r in good if r.t_prompt is not None]
            approvals = sum(1 for r in runs if r.approve_ms is not None)
            codes = {r.user_code for r in runs if r.user_code}
            leader_enter = min((r.t_enter for r in leaders if r.t_enter), default=None)
            after = [(r.t_result - leader_enter) * 1000.0 for r in good if leader_enter and r.t_prompt is None]
            label = f"{burst_size} at once #{i + 1}"
            report.add("remember_burst", label, "on", "ok", [len(good)], f"of {burst_size}")
            report.add("remember_burst", label, "on", "harness approvals", [approvals], "count")
            report.add("remember_burst", label, "on", "prompts", [len(leaders)], "count")
            report.add("remember_burst", label, "on", "distinct codes shown", [len(codes)], "count")
            for key in ("device_authorization", "device_code", "refresh_token"):
                report.add("remember_burst", label, "on", f"idp_counts {key}", [counts.get(key)], "count")
            report.add("remember_burst", label, "on", "leader Enter -> others' RESULT", after, "ms",
                       "the others look for the leader's end note every 200 ms")
            burst_rows.append([label, f"{len(good)}/{burst_size}", len(leaders), approvals, len(codes),
                               counts.get("device_authorization"), counts.get("device_code"),
                               counts.get("refresh_token"), fmt(median(after), 0),
                               fmt(max(after) if after else None, 0),
                               fmt(wall, 2)])
            if len(good) != burst_size or approvals != 1 or counts.get("device_authorization") != 1:
                findings.append(f"remember burst {label}: {len(good)}/{burst_size} ok, {approvals} approvals, "
                                f"counts {counts}")
    finally:
        if "tmpfs" in dirs:
            shutil.rmtree(dirs["tmpfs"], ignore_errors=True)
    bare_refresh.close()
    for way, values in bare.items():
        report.add("remember_bare", "refresh", "-", way, values, "ms",
                   "one refresh_token request, no PAM; taken between the revalidated logins")
        bare_rows.append([way, fmt(median(values)), fmt(percentile(values, 90)), fmt(percentile(values, 95)),
                          len(values)])
    bare_rows.append(None)  # the target table follows the bare one
    bare_rows += targets
    return rows, burst_rows, bare_rows, findings, traces


# ------------------------------------------------------------------ reporting

class Report:
    def __init__(self, machine):
        self.machine = machine
        self.rows = []

    def add(self, section, config, cache, measure, values, unit, note=""):
        values = [v for v in values if v is not None]
        row = {
            "section": section, "config": config, "cache": cache, "measure": measure, "unit": unit,
            "n": len(values), "median": median(values), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "min": min(values) if values else None,
            "max": max(values) if values else None, "note": note,
        }
        self.rows.append(row)
        return row

    def write_csv(self, path, append=False):
        fields = ["date", "nproc", "cpu", "kernel", "loadavg", "module_sha256", "section", "config", "cache", "measure", "unit", "n",
                  "median", "p95", "p99", "min", "max", "note"]
        append = append and os.path.exists(path)
        with open(path, "a" if append else "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            if not append:
                w.writeheader()
            for row in self.rows:
                out = dict(self.machine)
                for k, v in row.items():
                    out[k] = f"{v:.3f}" if isinstance(v, float) else v
                w.writerow(out)


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "kernel": platform.release(),
        # A shared machine: the load when the run started says how much to trust the times.
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 logins per configuration, sweep 1,10")
    parser.add_argument("--logins", type=int, help="sequential logins per configuration (default 30; quick 5)")
    parser.add_argument("--sweep", help="concurrency levels, comma separated (default 1,10,50,100,200; quick 1,10)")
    parser.add_argument("--configs", default="a,b,c", help="configurations to run (default a,b,c)")
    parser.add_argument("--cache", choices=("both", "on", "off"), default="both",
                        help="cache modes to run when the cache keys exist (default both)")
    parser.add_argument("--strace", action="store_true",
                        help="also trace one login of each configuration (first cache mode) with strace -tt")
    parser.add_argument("--remember", choices=("yes", "no", "only"), default="yes",
                        help="remembered approvals (remember = SECONDS): measured after the configurations (yes), "
                             "left out (no), or alone with the baseline (only)")
    parser.add_argument("--csv", default=RESULT_CSV, help=f"where to write the CSV (default {RESULT_CSV})")
    parser.add_argument("--append", action="store_true",
                        help="add this run's rows to the CSV instead of replacing it (e.g. with --remember only)")
    args = parser.parse_args()
    n = args.logins or (5 if args.quick else 30)
    levels = [int(x) for x in (args.sweep or ("1,10" if args.quick else "1,10,50,100,200")).split(",") if x]

    if os.geteuid() != 0:
        print("run.py needs root: the module only trusts root-owned configuration and secret files",
              file=sys.stderr)
        return 2
    for path in (harness.MODULE, harness.PAM_DRIVE, harness.SYSLOG_SHIM):
        if not os.path.exists(path):
            print(f"{path} missing: run `make -j2` at the top of the tree first", file=sys.stderr)
            return 2

    started = time.monotonic()
    machine = machine_info()
    has_cache = cache_keys_present()
    cache_modes = (["on", "off"] if args.cache == "both" else [args.cache]) if has_cache else ["n/a"]
    interval_s = float(os.environ.get("IDP_INTERVAL", "1"))
    print(f"# pam_oauth2 benchmark  {machine['date']}  nproc={machine['nproc']}  cpu={machine['cpu']}  "
          f"kernel={machine['kernel']}  loadavg={machine['loadavg']}")
    print(f"# {n} sequential logins per configuration (+1 warm-up), sweep {levels}, IdP interval {interval_s:g} s, "
          f"cache keys {'present' if has_cache else 'ABSENT (cache columns n/a)'}")
    sys.stdout.flush()

    # Not under /tmp: each pam_drive gets a private, empty /tmp (see spawn_rusage.c).
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-bench-", dir="/var/tmp")
    idp = None
    report = Report(machine)
    try:
        # A snapshot of the built module, pam_drive and the shim: a rebuild during the run
        # (make in another shell) must not change what is measured halfway.
        snap = os.path.join(workdir, "build")
        os.makedirs(snap)
        for attr in ("MODULE", "PAM_DRIVE", "SYSLOG_SHIM"):
            copy = os.path.join(snap, os.path.basename(getattr(harness, attr)))
            shutil.copy2(getattr(harness, attr), copy)
            setattr(harness, attr, copy)
        with open(harness.MODULE, "rb") as f:
            machine["module_sha256"] = hashlib.sha256(f.read()).hexdigest()[:16]
        print(f"# module {machine['module_sha256']} (sha256 prefix of the snapshot of .libs/pam_oauth2.so)")
        idp = harness.start_idp(workdir)
        stack = harness.Stack(workdir, idp)
        driver = Driver(stack, idp, interval_s)
        with open(os.path.join(stack.service_dir, "bench-permit"), "w") as f:
            f.write("auth required pam_permit.so\n")
        secret_dir = stack.new_dir("secret")
        configs = configurations(stack, secret_dir)
        chosen = [c for c in args.configs.split(",") if c in configs] if args.remember != "only" else []

        # The bare baseline: the same process, same preloads, pam_permit only.
        base = baseline(driver, "bench-permit", max(n, 10))
        bad = [r for r in base if r.result != harness.PAM_SUCCESS]
        if bad:
            raise RuntimeError(f"baseline failed: {bad[0].result} {bad[0].error}")
        base_total = [r.ms("t_spawn", "t_result") for r in base]
        base_cpu = [r.cpu_ms for r in base]
        base_rss = [r.maxrss_kib / 1024.0 for r in base]
        report.add("baseline", "pam_permit", "-", "spawn_to_result_ms", base_total, "ms",
                   "pam_drive startup + pam_start + pam_authenticate(pam_permit)")
        report.add("baseline", "pam_permit", "-", "cpu_ms", base_cpu, "ms")
        report.add("baseline", "pam_permit", "-", "peak_rss_mib", base_rss, "MiB")
        base_cpu_med, base_rss_med = median(base_cpu), median(base_rss)

        limit_rows = []

        seq_rows, req_rows, phase_rows, sweep_rows, memory_rows, findings = [], [], [], [], [], []
        strace_sections = []
        for name in chosen:
            description, config = configs[name]
            for cache in cache_modes:
                cfg = dict(config)
                label = f"{name}/cache={cache}"
                if cache != "n/a":
                    cfg["cache"] = cache
                    cfg["cache_dir"] = private_cache_dir(workdir, name + cache)
                service = stack.service(f"bench-{name}-{cache}", cfg)
                warm, runs, logs = sequential(driver, idp, service, n, label, interval_s)
                failures = [r for r in runs if r.result != harness.PAM_SUCCESS]
                ok = [r for r in runs if r.result == harness.PAM_SUCCESS]
                start_prompt = [r.ms("t_spawn", "t_first_info") for r in ok]
                enter_result = [r.ms("t_enter", "t_result") for r in ok]
                cpu = [r.cpu_ms for r in ok]
                rss = [r.maxrss_kib / 1024.0 for r in ok]
                sec = "sequential"
                report.add(sec, name, cache, "start_to_prompt_ms", start_prompt, "ms",
                           "pam_drive spawn -> first INFO line")
                report.add(sec, name, cache, "start_to_prompt_minus_baseline_ms",
                           [v - median(base_total) for v in start_prompt], "ms", "minus baseline median")
                report.add(sec, name, cache, "enter_to_result_ms", enter_result, "ms",
                           "Enter (approved, interval passed) -> RESULT line")
                report.add(sec, name, cache, "cpu_ms", cpu, "ms", "user+sys of pam_drive (wait4)")
                report.add(sec, name, cache, "cpu_over_baseline_ms", [v - base_cpu_med for v in cpu], "ms")
                report.add(sec, name, cache, "peak_rss_mib", rss, "MiB", "ru_maxrss")
                report.add(sec, name, cache, "rss_over_baseline_mib", [v - base_rss_med for v in rss], "MiB")
                report.add(sec, name, cache, "approve_http_ms", [r.approve_ms for r in ok], "ms",
                           "the harness approving over HTTP (not the module)")
                report.add(sec, name, cache, "failures", [len(failures)], "count",
                           "; ".join(sorted({f'{r.result}:{r.error}' for r in failures}))[:300])
                # Phases from the module's own debug log, timestamped live.
                phase_values = defaultdict(list)
                for r in ok:
                    p = r.phases
                    first_log = min((t for t, _ in r.log_lines), default=None)
                    pairs = {
                        "spawn->first module log line": ("t_spawn", first_log),
                        "first log line->device request (config, cache, discovery)": (first_log,
                                                                                    p.get("device_request")),
                        "device request+render (until INFO)": (p.get("device_request"), r.t_first_info),
                        "Enter->token granted": (r.t_enter, p.get("token_granted")),
                        "token granted->result logged (jwks, introspection, userinfo, checks)":
                            (p.get("token_granted"), p.get("result_line")),
                        "result logged->RESULT line": (p.get("result_line"), r.t_result),
                    }
                    for key, (a, b) in pairs.items():
                        if a == "t_spawn":
                            a = r.t_spawn
                        if a is not None and b is not None:
                            phase_values[key].append((b - a) * 1000.0)
                for key, values in phase_values.items():
                    report.add("phases", name, cache, key, values, "ms", "from the module's debug log")
                    phase_rows.append([label, key, fmt(median(values)), fmt(percentile(values, 95)), len(values)])
                # Requests and connections, counted at the IdP.
                per_path = defaultdict(list)
                conns, slow, gaps = [], [], []
                for entries in logs:
                    by_path, conn_set, slow_down, g = summarize_log(entries, interval_s)
                    for path in set(per_path) | set(by_path):
                        per_path[path].append(by_path.get(path, 0))
                    conns.append(len(conn_set))
                    slow.append(slow_down)
                    gaps.extend(g)
                for path, counts in sorted(per_path.items()):
                    counts = counts + [0] * (len(logs) - len(counts))
                    report.add("requests", name, cache, f"requests {path}", counts, "per login")
                report.add("requests", name, cache, "requests total", [len(e) for e in logs], "per login")
                report.add("requests", name, cache, "tcp/tls connections", conns, "per login",
                           "distinct conn ids at the IdP (one TLS handshake each)")
                report.add("requests", name, cache, "slow_down answers", slow, "per login")
                report.add("requests", name, cache, "shortest poll gap", [min(gaps)] if gaps else [], "ms",
                           "device response (arrival) -> first poll, or poll -> poll")
                req_rows.append([label, " ".join(f"{p}={fmt(median(c), 1)}" for p, c in sorted(per_path.items())),
                                 fmt(median([len(e) for e in logs])), fmt(median(conns)), max(conns) if conns else "-",
                                 sum(slow), fmt(min(gaps) if gaps else None, 0)])
                if warm.memory:
                    top = [(k, v) for k, v in warm.memory.most_common() if not k.startswith("=")]
                    for k in ("=VmRSS", "=VmHWM", "=Pss", "=Private_Dirty"):
                        report.add("memory_at_prompt", name, cache, k[1:].lower() + "_kib", [warm.memory.get(k)], "KiB",
                                   "warm-up login, /proc/PID/status and smaps at the prompt")
                    memory_rows.append([label, warm.memory.get("=VmRSS"), warm.memory.get("=VmHWM"),
                                        warm.memory.get("=Pss"), warm.memory.get("=Private_Dirty"),
                                        " ".join(f"{k}={v}" for k, v in top[:9])])
                    for k, v in top[:15]:
                        report.add("memory_at_prompt", name, cache, f"rss_kib {k}", [v], "KiB",
                                   "warm-up login, /proc/PID/smaps at the prompt")
                seq_rows.append([label, len(ok), len(failures),
                                 fmt(median(start_prompt)), fmt(percentile(start_prompt, 95)),
                                 fmt(median(enter_result)), fmt(percentile(enter_result, 95)),
                                 fmt(median(cpu)), fmt(percentile(cpu, 95)),
                                 fmt(median(cpu) - base_cpu_med if cpu else None),
                                 fmt(median(rss), 2), fmt(median(rss) - base_rss_med if rss else None, 2),
                                 fmt(warm.ms("t_spawn", "t_first_info"))])
                if failures:
                    findings.append(f"{label}: {len(failures)} of {n} sequential logins failed: "
                                    + "; ".join(sorted({f'{r.result}:{r.error}' for r in failures}))[:300])

                if args.strace and cache == cache_modes[0]:
                    _, timeline = strace_timeline(driver, service, os.path.join(workdir, f"strace-{name}.txt"),
                                                  cfg.get("cache_dir"))
                    strace_sections.append((label + " (warm)", timeline))
                    if cache == "on":
                        cold_cfg = dict(cfg, cache_dir=private_cache_dir(workdir, name + "cold"))
                        cold_service = stack.service(f"bench-{name}-cold", cold_cfg)
                        _, timeline = strace_timeline(driver, cold_service,
                                                      os.path.join(workdir, f"strace-{name}-cold.txt"),
                                                      cold_cfg["cache_dir"])
                        strace_sections.append((label + " (cold: empty cache_dir)", timeline))

                # Concurrency sweep: no debug log capture (the shim writes nothing).
                sweep_cfg = dict(cfg, debug="off", timeout="120")
                sweep_service = stack.service(f"sweep-{name}-{cache}", sweep_cfg)
                for level in levels:
                    mark = len(idp.log())
                    runs_c, wall = sweep(driver, sweep_service, level)
                    entries = idp.log()[mark:]
                    answers = Counter(f"{e['path']} {e['status']} {e.get('error') or ''}".strip()
                                      for e in entries if e["status"] != 200)
                    idp_note = ", ".join(f"{k} x{v}" for k, v in answers.most_common(3)) or "-"
                    conns_per_login = len({e["conn"] for e in entries}) / level
                    good = [r for r in runs_c if r.result == harness.PAM_SUCCESS]
                    bad = [r for r in runs_c if r.result != harness.PAM_SUCCESS]
                    lat = [r.ms("t_spawn", "t_result") for r in good]
                    why = Counter(" ".join(x for x in (f"result={r.result}", r.error,
                                                       r.approve_error and f"after approval failed: {r.approve_error}")
                                               if x) for r in bad)
                    note = "; ".join(f"{k} x{v}" for k, v in why.most_common(4))
                    report.add("sweep", name, cache, f"c={level} latency_ms", lat, "ms",
                               "spawn -> RESULT, includes approval and the interval wait")
                    report.add("sweep", name, cache, f"c={level} logins_per_s", [len(good) / wall], "1/s")
                    report.add("sweep", name, cache, f"c={level} failures", [len(bad)], "count", note[:300])
                    sp = [r.ms("t_spawn", "t_first_info") for r in good]
                    ap = [r.approve_ms for r in good]
                    er = [r.ms("t_enter", "t_result") for r in good]
                    report.add("sweep", name, cache, f"c={level} start_to_prompt_ms", sp, "ms")
                    report.add("sweep", name, cache, f"c={level} approve_http_ms", ap, "ms", "harness, not module")
                    report.add("sweep", name, cache, f"c={level} enter_to_result_ms", er, "ms")
                    report.add("sweep", name, cache, f"c={level} idp_non200", [sum(answers.values())], "count",
                               idp_note[:300])
                    report.add("sweep", name, cache, f"c={level} tcp_conns_per_login", [conns_per_login], "per login")
                    sweep_rows.append([label, level, len(good), len(bad), fmt(wall, 2), fmt(len(good) / wall, 2),
                                       fmt(median(lat), 0), fmt(percentile(lat, 99), 0),
                                       fmt(median(sp), 0), fmt(percentile(sp, 99), 0), fmt(median(ap), 0),
                                       fmt(median(er), 0), fmt(percentile(er, 99), 0), fmt(conns_per_login, 2),
                                       idp_note[:60], note[:90]])
                    sys.stderr.write(f"  {label}: sweep c={level}: {len(good)} ok, {len(bad)} failed, "
                                     f"{wall:.1f} s {note[:200]}\n")
                    if bad:
                        findings.append(f"{label}: c={level}: {len(bad)} of {level} failed: {note}")

        remember_rows, burst_rows, bare_rows = [], [], []
        if args.remember != "no":
            remember_rows, burst_rows, bare_rows, found, traces = remember_section(
                driver, stack, idp, n, report, interval_s, workdir, base_total, strace=args.strace)
            findings += found
            strace_sections += traces

        print()
        print(f"Baseline (pam_permit only, n={len(base)}): spawn->RESULT median {fmt(median(base_total))} ms "
              f"p95 {fmt(percentile(base_total, 95))} ms; CPU median {fmt(base_cpu_med)} ms; "
              f"peak RSS median {fmt(base_rss_med, 2)} MiB")
        if seq_rows:  # the configurations (left out with --remember only)
            print()
            print(table(["config/cache", "ok", "fail", "start>prompt p50", "p95", "Enter>result p50", "p95",
                         "CPU ms p50", "p95", "CPU-base", "RSS MiB", "RSS-base", "first(cold)>prompt"], seq_rows))
            print()
            print(table(["config/cache", "requests per login (median) by path", "total", "conns p50", "max",
                         "slow_down", "min poll gap ms"], req_rows))
            print()
            print(table(["config/cache", "VmRSS KiB", "VmHWM KiB", "Pss KiB", "Private_Dirty KiB",
                         "resident KiB by mapping at the prompt (largest)"],
                        memory_rows))
            print()
            print(table(["config/cache", "phase (module debug log)", "p50 ms", "p95 ms", "n"], phase_rows))
            print()
            print(table(["config/cache", "concurrent", "ok", "fail", "wall s", "logins/s", "p50 ms", "p99 ms",
                         "prompt p50", "p99", "approve p50", "Enter>res p50", "p99", "conns/login", "IdP non-200",
                         "failures"], sweep_rows))
        if bare_rows:
            print()
            print("One refresh_token request to the same token endpoint, without PAM (the harness's own grant):")
            split = bare_rows.index(None)
            print(table(["way", "p50 ms", "p90", "p95", "n"], bare_rows[:split]))
            print()
            print("Target: a remembered, revalidated login at most 5 ms over one refresh request (p50 differences):")
            print(table(["login/remember_dir", "compared", "login p50 ms", "bare p50 ms", "over p50", "over p90",
                         "verdict"], bare_rows[split + 1:]))
        if remember_rows:
            print()
            print("Remembered approvals (config a + remember = 600, offline_access for 'revalidated'; "
                  "spawn -> RESULT, no prompt; phases from the module's debug log):")
            print(table(["login/remember_dir", "fs", "ok", "p50 ms", "p90", "p95", "-base", "CPU ms",
                         "requests per login / phase", "IdP counts over all", "log reason"], remember_rows))
        if burst_rows:
            print()
            print("Logins of one key at once (the record dropped first; the harness approves at the one prompt):")
            print(table(["round", "ok", "prompts", "approvals", "codes", "device auth", "polls", "refresh",
                         "others after Enter p50 ms", "max", "wall s"], burst_rows))
        if limit_rows:
            print()
            print(table(["limit probe", "concurrent", "ok", "fail", "wall s", "why"], limit_rows))
        for label, timeline in strace_sections:
            print()
            print(f"strace -f -tt of one login, {label} (times inflated by strace):")
            print("\n".join(timeline))
        if findings:
            print()
            print("Failures:")
            for f in findings:
                print(f"- {f}")
        report.add("run", "-", "-", "runtime_s", [time.monotonic() - started], "s",
                   f"quick={args.quick} logins={n} sweep={levels}")
        report.write_csv(args.csv, args.append)
        print()
        print(f"# {'added to' if args.append else 'wrote'} {args.csv}; runtime {time.monotonic() - started:.0f} s")
        return 0
    finally:
        if idp is not None:
            idp.stop()
        if os.environ.get("KEEP_BENCH_DIR"):
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
