"""Starts and stops tests/idp2/server.py (authlib) for a test run, with a CA made for the
run by tests/idp/make_certs.sh, and plays the person through its test-only endpoints."""

import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(HERE)))
# Debian's interpreter: python3-authlib is a Debian package (the first python3 on PATH
# may be another one without it).
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")

# The clients server.py defines (id -> secret); see its CLIENTS.
SECRETS = {"pam-basic": "basic-secret-4711", "pam-post": "post-secret-0815",
           "pam-basic-reserved": "s3cr3t:with/special+chars&=%"}
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw"}


def authlib_missing():
    """None when Debian's python3 can import authlib's RFC 8628 module, else why not."""
    if PYTHON is None:
        return "python3"
    done = subprocess.run([PYTHON, "-c", "import authlib, authlib.oauth2.rfc8628; print(authlib.__version__)"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return "python3-authlib (apt-get install python3-authlib)"
    return None


class IdP2:
    def __init__(self, directory):
        self.dir = directory
        self.proc = None
        self.issuer = None
        self.version = None
        self.decodes_basic = None

    @property
    def ca_file(self):
        return os.path.join(self.dir, "ca.pem")

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        subprocess.run(["sh", os.path.join(SRC, "tests", "idp", "make_certs.sh"), self.dir], check=True)
        self.version = subprocess.run([PYTHON, "-c", "import authlib; print(authlib.__version__)"],
                                      capture_output=True, text=True, check=True).stdout.strip()
        # Whether this authlib form-decodes a Basic header's id and secret (RFC 6749 §2.3.1):
        # asked of the library itself, not guessed from its version.
        probe = ("import base64; from authlib.oauth2.rfc6749.util import extract_basic_authorization as e; "
                 "h = 'Basic ' + base64.b64encode(b'a%2B:b%2B').decode(); print(e({'Authorization': h}) == ('a+', 'b+'))")
        self.decodes_basic = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True,
                                            check=True).stdout.strip() == "True"
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, "server.py"), self.dir], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"the authlib server did not start: {line!r}")
        self.issuer = line.split()[1]
        self._context = ssl.create_default_context(cafile=self.ca_file)

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def url(self, path):
        return self.issuer + path

    def _call(self, path, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url(path), data=data), context=self._context,
                                        timeout=5) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{path}: HTTP {e.code} {e.read()!r}") from None

    def approve(self, user_code, who, password=None, decision="allow"):
        self._call("/test/approve", {"user_code": user_code, "username": who,
                                     "password": password or PASSWORDS[who], "decision": decision})

    def expire(self, user_code):
        self._call("/test/expire", {"user_code": user_code})

    def forget(self, user_code):
        self._call("/test/forget", {"user_code": user_code})

    def polls(self):
        """Every token poll so far: [time, client_id, HTTP status, error]."""
        return self._call("/test/log")
