"""A second, independent authorization server for the tests: Debian's python3-authlib
(1.2.0 on Debian 12) and its RFC 8628 module, over HTTPS on 127.0.0.1 with the
standard library's http.server. Run with /usr/bin/python3 (Debian's modules):

    /usr/bin/python3 tests/idp2/server.py DIR     # DIR holds ca.pem/server.pem (make_certs.sh)

It prints "LISTENING https://127.0.0.1:PORT" once it serves, and runs until stdin closes.

authlib does the protocol: device authorization (DeviceAuthorizationEndpoint), the
device-code grant and its answers (DeviceCodeGrant: authorization_pending, slow_down,
access_denied, expired_token, invalid_request, unauthorized_client), client
authentication (client_secret_basic, client_secret_post, none), Bearer tokens
(BearerTokenGenerator), introspection (IntrospectionEndpoint, RFC 7662) and the RFC 8414
metadata (AuthorizationServerMetadata.validate). What authlib leaves to the developer is
written here, and README.md lists every choice made: the stores, the verification URI,
should_slow_down, the interval and lifetimes, the person's consent (bob never grants
sudo), the userinfo endpoint and a test-only approval endpoint.

Endpoints:
    POST /device_authorization      authlib
    POST /token                     authlib
    POST /introspect                authlib (confidential clients)
    GET  /userinfo                  ours: sub and preferred_username of the token's user
    GET  /.well-known/oauth-authorization-server    the metadata, validated by authlib
    POST /test/approve              test only: user_code, username, password, decision=allow|deny
    POST /test/expire               test only: user_code (its life ends now)
    POST /test/forget               test only: user_code (the server loses the device code)
    GET  /test/log                  test only: every token poll, [time, client_id, status, error]
"""

import http.server
import inspect
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict

SCOPES = ["openid", "profile", "ssh:login", "sudo"]
INTERVAL = 1          # authlib's default is 5 (a class attribute meant to be changed)
EXPIRES_IN = 300      # authlib's default is 1800
DEVICE_GRANT = DeviceCodeGrant.GRANT_TYPE


class Account:
    def __init__(self, name, password, sub, consents):
        self.name = name
        self.password = password
        self.sub = sub
        self.consents = set(consents)  # the scopes this person ever grants


ACCOUNTS = {
    "alice": Account("alice", "alice-pw", "idp2-sub-alice", SCOPES),
    # bob approves, but never grants sudo.
    "bob": Account("bob", "bob-pw", "idp2-sub-bob", [s for s in SCOPES if s != "sudo"]),
}


class Client(ClientMixin):
    def __init__(self, client_id, auth_method, secret=None, lifetime=None):
        self.client_id = client_id
        self.auth_method = auth_method  # client_secret_basic, client_secret_post or none
        self.secret = secret
        self.lifetime = lifetime        # device code lifetime, when not EXPIRES_IN

    def get_client_id(self):
        return self.client_id

    def check_client_secret(self, client_secret):
        return self.secret is not None and secrets.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "introspection":
            return self.secret is not None and method == self.auth_method
        return method == self.auth_method

    def check_grant_type(self, grant_type):
        return grant_type == DEVICE_GRANT

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in SCOPES)


CLIENTS = {c.client_id: c for c in (
    Client("pam-public", "none"),
    Client("pam-short", "none", lifetime=3),
    Client("pam-basic", "client_secret_basic", "basic-secret-4711"),
    # A secret with characters RFC 6749 §2.3.1 form-encodes before Basic.
    Client("pam-basic-reserved", "client_secret_basic", "s3cr3t:with/special+chars&=%"),
    Client("pam-post", "client_secret_post", "post-secret-0815"),
)}


class Token(dict):
    def is_expired(self):
        return self["issued_at"] + self["expires_in"] < time.time()

    def is_revoked(self):
        return False


class FormRequest(OAuth2Request):
    """authlib 1.3+ only: an OAuth2Request over an already parsed form (POST body)."""

    def __init__(self, method, uri, form, headers):
        super().__init__(method, uri, headers=headers)
        from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self):
        return self._form

    @property
    def args(self):
        return {}


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.credentials = {}   # device_code -> DeviceCredentialDict
        self.user_codes = {}    # user_code -> device_code
        self.grants = {}        # user_code -> (Account, approved)
        self.tokens = {}        # access_token -> Token
        self.polls = []         # [time, client_id, status, error]


STORE = Store()


class DeviceEndpoint(DeviceAuthorizationEndpoint):
    INTERVAL = INTERVAL
    EXPIRES_IN = EXPIRES_IN

    def get_verification_uri(self):
        return self.server.base + "/device"

    def authenticate_client(self, request):
        # Added, a fix: authlib 1.2.0 saves the code under request.client_id, the form's
        # client_id, which is None when the client authenticated with HTTP Basic and left
        # it out (RFC 8628 §3.1 makes it REQUIRED only without client authentication);
        # such a code then never matches its client at the token endpoint.
        client = super().authenticate_client(request)
        form = request.payload.data if getattr(request, "payload", None) is not None else request.data
        form.setdefault("client_id", client.get_client_id())
        return client

    def save_device_credential(self, client_id, scope, data):
        lifetime = CLIENTS[client_id].lifetime
        if lifetime is not None:
            data["expires_in"] = lifetime  # the response says so too: it is this dict
        credential = DeviceCredentialDict(client_id=client_id, scope=scope, user_code=data["user_code"],
                                          device_code=data["device_code"],
                                          expires_at=time.time() + data["expires_in"])
        with STORE.lock:
            STORE.credentials[data["device_code"]] = credential
            STORE.user_codes[data["user_code"]] = data["device_code"]


class DeviceGrant(DeviceCodeGrant):
    def query_device_credential(self, device_code):
        with STORE.lock:
            return STORE.credentials.get(device_code)

    def query_user_grant(self, user_code):
        with STORE.lock:
            return STORE.grants.get(user_code)

    def should_slow_down(self, credential):
        # Added (authlib leaves it to us): a poll sooner than the interval since the last
        # one, with 0.2 s of slack for timer jitter on a loaded machine.
        now = time.monotonic()
        with STORE.lock:
            last = credential.get("last_poll")
            credential["last_poll"] = now
        return last is not None and now - last < INTERVAL - 0.2


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        with STORE.lock:
            return STORE.tokens.get(token_string)

    def check_permission(self, token, client, request):
        return token["client_id"] == client.get_client_id()

    def introspect_token(self, token):
        return {"active": True, "client_id": token["client_id"], "token_type": "Bearer", "scope": token["scope"],
                "sub": token["user"].sub, "username": token["user"].name, "iat": int(token["issued_at"]),
                "exp": int(token["issued_at"] + token["expires_in"]), "iss": self.server.base}


class Server(AuthorizationServer):
    def __init__(self, base):
        super().__init__(scopes_supported=SCOPES)
        self.base = base
        bearer = BearerTokenGenerator(lambda **kw: "idp2-" + secrets.token_urlsafe(32), expires_generator=3600)

        def generate(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
            # Added: the person's consent. authlib grants what the device request asked
            # for; bob never grants sudo.
            if user is not None and scope:
                scope = " ".join(s for s in scope.split() if s in user.consents)
            return bearer(grant_type, client, user, scope, expires_in, include_refresh_token)
        self.register_token_generator("default", generate)
        self.register_grant(DeviceGrant)
        self.register_endpoint(DeviceEndpoint)
        self.register_endpoint(Introspection)

    def query_client(self, client_id):
        return CLIENTS.get(client_id)

    def save_token(self, token, request):
        with STORE.lock:
            STORE.tokens[token["access_token"]] = Token(token, user=request.user, client_id=request.client.client_id,
                                                        scope=token.get("scope", ""), issued_at=time.time())

    def create_oauth2_request(self, request):
        # authlib 1.2 (Debian 12) takes the form as body=; from 1.3 on (Debian 13 has 1.6) the
        # form is a payload object of its own and the request must answer .form and .args
        # itself (authlib's framework integrations subclass it the same way).
        if "body" in inspect.signature(OAuth2Request.__init__).parameters:
            return OAuth2Request(request.method, request.uri, body=request.form, headers=request.headers)
        return FormRequest(request.method, request.uri, request.form, request.headers)

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass

    def metadata(self):
        doc = AuthorizationServerMetadata({
            "issuer": self.base,
            "token_endpoint": self.base + "/token",
            "device_authorization_endpoint": self.base + "/device_authorization",
            "introspection_endpoint": self.base + "/introspect",
            "userinfo_endpoint": self.base + "/userinfo",
            "scopes_supported": SCOPES,
            # RFC 8414 §2 requires it; this server has no authorization endpoint: "none"
            # (OAuth 2.0 Multiple Response Types) is the honest value.
            "response_types_supported": ["none"],
            "grant_types_supported": [DEVICE_GRANT],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })
        doc.validate()
        return dict(doc)


class Request:
    def __init__(self, handler, base):
        self.method = handler.command
        self.uri = base + handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        self.headers = handler.headers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        server = self.server.oauth
        path = self.path.split("?", 1)[0]
        if path == "/.well-known/oauth-authorization-server":
            return self.send(200, server.metadata())
        if path == "/userinfo":
            return self.userinfo()
        if path == "/test/log":
            with STORE.lock:
                return self.send(200, list(STORE.polls))
        return self.send(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        server = self.server.oauth
        path = self.path.split("?", 1)[0]
        request = Request(self, server.base)
        if path == "/device_authorization":
            return self.send(*server.create_endpoint_response("device_authorization", request))
        if path == "/token":
            status, body, headers = server.create_token_response(request)
            with STORE.lock:
                STORE.polls.append([time.time(), request.form.get("client_id"), status,
                                    body.get("error") if isinstance(body, dict) else None])
            return self.send(status, body, headers)
        if path == "/introspect":
            return self.send(*server.create_endpoint_response("introspection", request))
        if path.startswith("/test/"):
            return self.test_action(path[6:], request.form)
        return self.send(404, {"error": "not_found"})

    def userinfo(self):
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        with STORE.lock:
            found = STORE.tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found.is_expired():
            return self.send(401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])
        user = found["user"]
        return self.send(200, {"sub": user.sub, "preferred_username": user.name})

    def test_action(self, action, form):
        user_code = form.get("user_code", "")
        with STORE.lock:
            device_code = STORE.user_codes.get(user_code)
            credential = STORE.credentials.get(device_code)
            if credential is None:
                return self.send(404, {"error": "unknown user_code"})
            if action == "approve":
                account = ACCOUNTS.get(form.get("username"))
                if account is None or not secrets.compare_digest(account.password, form.get("password", "")):
                    return self.send(403, {"error": "wrong username or password"})
                STORE.grants[user_code] = (account, form.get("decision") == "allow")
            elif action == "expire":
                credential["expires_at"] = time.time() - 1
            elif action == "forget":
                del STORE.credentials[device_code]
            else:
                return self.send(404, {"error": "unknown action"})
        return self.send(200, {"ok": True})


class HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main(argv):
    directory = argv[1]
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(f"{directory}/server.pem", f"{directory}/server.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    base = f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.oauth = Server(base)
    httpd.oauth.metadata()  # authlib validates it: fail at start, not at the first login
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(f"LISTENING {base}", flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
