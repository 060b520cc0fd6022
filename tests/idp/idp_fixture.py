"""Start and stop the test IdP (server.mjs) from Python tests. Standard library only.

    from idp_fixture import TestIdP

    with TestIdP("/tmp/work") as idp:
        idp.issuer, idp.ca_file, idp.other_ca_file
        idp.approve(user_code, "alice", "alice-pw")        # or decision="deny"
        idp.log(); idp.reset_log()

The certificates are made in workdir by make_certs.sh (kept between runs).
The server's stderr goes to workdir/idp-stderr.log.
"""

import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import approve as _approve  # noqa: E402  (the module next to this one)

START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class IdPError(RuntimeError):
    pass


class TestIdP:
    __test__ = False  # not a pytest test class

    def __init__(self, workdir, env_overrides=None):
        self.workdir = os.path.abspath(workdir)
        self.env_overrides = dict(env_overrides or {})
        self.proc = None
        self._issuer = None
        self._stdout_thread = None
        self._stderr_file = None
        self.start_seconds = None  # how long the last start() took
        self.returncode = None     # exit status after stop()

    # ------------------------------------------------------------ lifecycle

    @property
    def stderr_path(self):
        return os.path.join(self.workdir, "idp-stderr.log")

    def _stderr_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        if self.proc is not None:
            raise IdPError("TestIdP already started")
        if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
            raise IdPError(f"{HERE}/node_modules is missing: run `npm ci` in {HERE} first")
        node = shutil.which("node") or "/usr/bin/node"
        t0 = time.monotonic()
        os.makedirs(self.workdir, exist_ok=True)
        r = subprocess.run(["sh", os.path.join(HERE, "make_certs.sh"), self.workdir],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise IdPError(f"make_certs.sh failed ({r.returncode}):\n{r.stdout}{r.stderr}")

        env = dict(os.environ)
        env.update({
            # Port 0: the server binds a free port itself (no race with other
            # processes) and reports it on the READY line.
            "IDP_PORT": "0",
            "IDP_CERT": os.path.join(self.workdir, "server.pem"),
            "IDP_KEY": os.path.join(self.workdir, "server.key"),
        })
        env.update({k: str(v) for k, v in self.env_overrides.items()})

        self._stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [node, os.path.join(HERE, "server.mjs")], cwd=HERE, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr_file)

        ready = threading.Event()
        found = []

        def drain(stream):
            for raw in stream:
                line = raw.decode("utf-8", "replace").strip()
                if not found and line.startswith("READY "):
                    found.append(line.split(" ", 1)[1])
                    ready.set()
            ready.set()  # EOF: the process ended

        self._stdout_thread = threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True)
        self._stdout_thread.start()

        if not ready.wait(START_TIMEOUT) or not found:
            rc = self.proc.poll()
            self.stop()
            why = f"exited with {rc}" if rc is not None else f"not ready after {START_TIMEOUT:.0f} s"
            raise IdPError(f"test IdP {why}; stderr:\n{self._stderr_text()}")
        self._issuer = found[0]
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self):
        p, self.proc = self.proc, None
        if p is not None:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            self.returncode = p.returncode
            if p.stdout:
                p.stdout.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ----------------------------------------------------------- properties

    @property
    def issuer(self):
        if self._issuer is None:
            raise IdPError("TestIdP not started")
        return self._issuer

    @property
    def port(self):
        return int(self.issuer.rsplit(":", 1)[1])

    @property
    def ca_file(self):
        return os.path.join(self.workdir, "ca.pem")

    @property
    def other_ca_file(self):
        return os.path.join(self.workdir, "other-ca.pem")

    # ---------------------------------------------------------------- HTTP

    def request(self, method, path, form=None, basic=None, bearer=None, timeout=10):
        """One HTTPS request to the IdP. form: dict sent form-urlencoded;
        basic: (client_id, secret), encoded per RFC 6749 section 2.3.1;
        bearer: access token. Returns (status, parsed JSON or raw text)."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Accept": "application/json"}
        if basic is not None:
            cid, secret = (urllib.parse.quote_plus(x) for x in basic)
            headers["Authorization"] = "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        req = urllib.request.Request(self.issuer + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def log(self):
        status, body = self.request("GET", "/test/log")
        if status != 200:
            raise IdPError(f"GET /test/log: HTTP {status}: {body}")
        return body

    def reset_log(self):
        status, body = self.request("POST", "/test/log/reset", form={})
        if status != 204:
            raise IdPError(f"POST /test/log/reset: HTTP {status}: {body}")

    def approve(self, user_code, login, password, decision="allow", otp=None, auth_age=None):
        _approve.approve(self.issuer, self.ca_file, user_code, login, password, decision, otp, auth_age)
