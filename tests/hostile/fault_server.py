"""A scriptable HTTPS server that misbehaves on purpose, for the hostile-IdP tests.

Not a mock of a working IdP: each test gives it a script saying, per path, what to do
wrong. Python stdlib only (run under /usr/bin/python3).

    certs = FaultCerts(directory)            # CA, server, expired, wrong-host certificates
    server = FaultServer(certs, script)      # listens on 127.0.0.1, an own port
    server.url("/token")                     # https://127.0.0.1:PORT/token
    server.requests                          # [Request(method, path, headers, body, time)]
    server.close()

A script maps a path to one Step or a list of Steps (the n-th request to that path gets
the n-th Step; the last one repeats). A Step is a dict:

    status    HTTP status (default 200)
    headers   extra headers, dict or list of pairs (default Content-Type: application/json)
    body      bytes, str, a JSON-able dict/list, or callable(server, request) -> any of those
    delay     seconds to wait before answering
    action    None, or one of:
              "never"       read the request and never answer (until the server closes)
              "close_mid"   send headers and half the body, then close (FIN)
              "reset_mid"   send headers and half the body, then reset the connection (RST)
              "trickle"     send the answer one byte a second (at most `limit` bytes)
              "close_now"   close the connection without answering
              "stream"      send a `size`-byte body (default 10 MB) made of repeats of `body`,
                            16 KiB every `pace` seconds (default 0.005: 3.2 MB/s)
              "proxy"       forward the request to `upstream` (https URL) and relay the answer
    length    with close_mid/reset_mid: the Content-Length announced (default: twice the body)
    limit     with trickle: bytes sent at most (default 30)
    upstream  with proxy: the base URL, and `upstream_ca` its CA file

Unscripted paths answer 404 with a JSON error.
"""

import http.client
import http.server
import json
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("top_srcdir", os.path.dirname(os.path.dirname(HERE)))


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.time = time.monotonic()
        self.response = None  # what was sent back (proxy mode: the upstream's body)
        self.sent = None  # with action "stream": bytes the client accepted

    def form(self):
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8", "replace")))

    def __repr__(self):
        return f"Request({self.method} {self.path} at {self.time:.2f})"


def _openssl(*args, cwd):
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


class FaultCerts:
    """TLS material in DIRECTORY: ca.pem/other-ca.pem and server.pem from tests/idp/make_certs.sh,
    plus expired.pem (valid only in 2020) and wronghost.pem (SAN DNS:wrong.example only),
    both signed by ca.pem."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        script = os.path.join(SRC, "tests", "idp", "make_certs.sh")
        subprocess.run(["sh", script, directory], check=True)
        self._issue("expired", "subjectAltName=IP:127.0.0.1,DNS:localhost", "20200101000000Z", "20200201000000Z")
        self._issue("wronghost", "subjectAltName=DNS:wrong.example", None, None)

    def _issue(self, name, san, start, end):
        d = self.dir
        _openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    f"extendedKeyUsage=serverAuth\n{san}\n")
        if start is None:
            _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-CAserial", f"{name}.srl", "-out", f"{name}.pem", "-days", "30",
                     "-sha256", "-extfile", f"{name}.ext", cwd=d)
            return
        # `openssl x509 -req` cannot backdate (OpenSSL 3.0): a throwaway `openssl ca` setup can.
        ca_dir = os.path.join(d, f"{name}-ca")
        os.makedirs(ca_dir, exist_ok=True)
        open(os.path.join(ca_dir, "index.txt"), "w").close()
        with open(os.path.join(ca_dir, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(ca_dir, "ca.cnf"), "w") as f:
            f.write(f"""[ca]
default_ca = test
[test]
dir = {ca_dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
""")
        _openssl("ca", "-batch", "-config", os.path.join(ca_dir, "ca.cnf"), "-cert", "ca.pem", "-keyfile", "ca.key",
                 "-in", f"{name}.csr", "-out", f"{name}.pem", "-startdate", start, "-enddate", end,
                 "-extfile", f"{name}.ext", "-notext", cwd=d)

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def ca_file(self):
        return self.path("ca.pem")

    @property
    def other_ca_file(self):
        return self.path("other-ca.pem")


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real IdP: the module reuses its connection

    def log_message(self, *args):
        pass

    def _serve(self):
        server = self.server.fault
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = self.path.split("?", 1)[0]
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        step = server.next_step(path, request)
        if step is None:
            return self._answer(404, {"Content-Type": "application/json"}, b'{"error":"not_found"}', request)
        if step.get("delay"):
            time.sleep(step["delay"])
        action = step.get("action")
        if action == "never":
            server.closing.wait(step.get("hold", 120))
            self.close_connection = True
            return None
        if action == "close_now":
            self.close_connection = True
            return None
        if action == "proxy":
            return self._proxy(step, request)
        content = step.get("body")
        if callable(content):
            content = content(server, request)
        content = _body_bytes(content)
        headers = {"Content-Type": "application/json"}
        extra = step.get("headers") or {}
        pairs = list(extra.items()) if isinstance(extra, dict) else list(extra)
        status = step.get("status", 200)
        if action in ("close_mid", "reset_mid"):
            announced = step.get("length", 2 * len(content) + 10)
            self._head(status, headers, pairs, announced)
            self.wfile.write(content[: max(1, len(content) // 2)])
            self.wfile.flush()
            time.sleep(0.2)
            if action == "reset_mid":
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            request.response = content
            return None
        if action == "stream":
            # A large body in 16 KiB chunks; request.sent counts what the client took.
            total = step.get("size", 10 * 1024 * 1024)
            self._head(status, headers, pairs, total)
            chunk = (content or b"x") * (16384 // max(1, len(content or b"x")) + 1)
            chunk = chunk[:16384]
            request.sent = 0
            try:
                while request.sent < total:
                    self.wfile.write(chunk[: total - request.sent])
                    self.wfile.flush()
                    request.sent += min(len(chunk), total - request.sent)
                    # Paced, so socket buffers stay near empty and `sent` tells how much the
                    # client really read before it hung up.
                    time.sleep(step.get("pace", 0.005))
            except OSError:
                pass
            self.close_connection = True
            return None
        if action == "trickle":
            self._head(status, headers, pairs, len(content))
            for byte in content[: step.get("limit", 30)]:
                if server.closing.is_set():
                    break
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    break
                time.sleep(1)
            self.close_connection = True
            return None
        return self._answer(status, headers, content, request, pairs)

    def _head(self, status, headers, pairs, length):
        self.send_response(status)
        names = {k.lower() for k, _ in pairs}
        for k, v in headers.items():
            if k.lower() not in names:
                self.send_header(k, v)
        for k, v in pairs:
            self.send_header(k, v)
        if "content-length" not in names:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _answer(self, status, headers, content, request, pairs=()):
        request.response = content
        self._head(status, headers, list(pairs), len(content))
        try:
            self.wfile.write(content)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _proxy(self, step, request):
        upstream = urllib.parse.urlsplit(step["upstream"])
        ctx = ssl.create_default_context(cafile=step["upstream_ca"])
        conn = http.client.HTTPSConnection(upstream.hostname, upstream.port, context=ctx, timeout=20)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(request.method, upstream.path.rstrip("/") + request.path, body=request.body or None,
                     headers=headers)
        answer = conn.getresponse()
        content = answer.read()
        conn.close()
        pairs = [(k, v) for k, v in answer.getheaders()
                 if k.lower() not in ("content-length", "connection", "transfer-encoding", "keep-alive")]
        self._answer(answer.status, {}, content, request, pairs)

    def do_GET(self):  # noqa: N802
        self._serve()

    def do_POST(self):  # noqa: N802
        self._serve()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fault, context):
        self.fault = fault
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.context is None:
            return sock, addr
        sock.settimeout(10)
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            # A client that refuses our certificate: record nothing, hand back a dead socket.
            self.fault.tls_failures += 1
            sock.close()
            raise OSError("TLS handshake failed")
        tls.settimeout(None)
        return tls, addr

    def handle_error(self, request, client_address):
        pass  # a client going away mid-answer is what these tests are about


class FaultServer:
    """One misbehaving HTTPS server on 127.0.0.1 (an own port), running SCRIPT.
    CERT names the certificate in FaultCerts: "server", "expired" or "wronghost".
    tls=False serves plain HTTP (to test a module talking TLS to a non-TLS port);
    tls_max="TLSv1_1" caps the protocol (and opens OpenSSL's security level to allow it)."""

    def __init__(self, certs, script=None, cert="server", tls=True, tls_max=None):
        self.script = script if script is not None else {}
        self.requests = []
        self.counts = {}
        self.tls_failures = 0
        self.lock = threading.Lock()
        self.closing = threading.Event()
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certs.path(f"{cert}.pem"), certs.path(f"{cert}.key"))
            if tls_max is not None:
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = getattr(ssl.TLSVersion, tls_max)
        self._server = _Server(self, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def url(self, path="", host="127.0.0.1"):
        return f"https://{host}:{self.port}{path}"

    @property
    def base(self):
        return self.url()

    def next_step(self, path, request):
        with self.lock:
            self.requests.append(request)
            steps = self.script.get(path)
            if steps is None:
                return None
            if callable(steps):
                return steps(self, request)
            if isinstance(steps, dict):
                return steps
            n = self.counts.get(path, 0)
            self.counts[path] = n + 1
            return steps[min(n, len(steps) - 1)]

    def hits(self, path):
        with self.lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def close(self):
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

