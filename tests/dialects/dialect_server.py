"""A stateful fake IdP that speaks one dialect profile (tests/dialects/profiles), built on
the hostile suite's fault_server.FaultServer (HTTPS on 127.0.0.1, every request recorded
with its time). Python stdlib and the openssl command only (run with /usr/bin/python3).

    idp = DialectIdP(profile, certs, signer)    # serves the profile's paths
    idp.approve(user_code, "alice")             # the person approves as alice
    idp.approve(user_code, "alice", scopes=[...], groups=[...])   # granting less
    idp.deny(user_code)                         # the person says no
    idp.end_life(user_code)                     # the code's life ends at the IdP ("never")
    idp.forget(user_code)                       # the IdP no longer knows the code
    idp.slow_down_next(user_code)               # the next poll gets slow_down
    idp.flow(user_code).polls                   # [Poll(time, kind, status)]
    idp.close()

Until the person acts, polls get the profile's pending answer. A poll sooner than RFC 8628
§3.5 allows (the advertised interval, plus 5 s for every slow_down answered so far) gets
the profile's slow_down answer and counts as early: a well-behaved module never sees
one it was not sent on purpose (slow_down_next, as a server whose clock runs ahead would).
"""

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "hostile"))
sys.path.insert(0, HERE)

from fault_server import FaultServer  # noqa: E402
from profiles.base import DEVICE_GRANT, Answer  # noqa: E402

EARLY_TOLERANCE = 0.2  # seconds: request arrival jitter (a loaded machine) that is not an early poll
JSON = "application/json"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """An RS256 signing key made with openssl for the run, and its JWKS."""

    def __init__(self, directory):
        self.key = os.path.join(directory, "dialect-rsa.key")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", self.key], check=True, capture_output=True)
        modulus = subprocess.run(["openssl", "rsa", "-in", self.key, "-noout", "-modulus"], check=True,
                                 capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        n = b64url(bytes.fromhex(modulus))
        self.kid = "dialect-" + hashlib.sha256(n.encode()).hexdigest()[:12]
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": n, "e": "AQAB"}

    def sign(self, payload, typ="JWT"):
        header = {"alg": "RS256", "kid": self.kid, "typ": typ}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())).encode()
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input,
                                   check=True, capture_output=True).stdout
        return signing_input.decode() + "." + b64url(signature)


class Poll:
    def __init__(self, when, kind, status):
        self.time = when
        self.kind = kind  # pending, slow_down, slow_down_forced, slow_down_early, denied, expired,
        # after_expired, success, unknown_code, used, client_refused
        self.status = status

    def __repr__(self):
        return f"Poll({self.kind} {self.status} at {self.time:.3f})"


class Flow:
    """One device authorization at the fake."""

    def __init__(self, device_code, user_code, client_id, scopes, form, interval, expires_in):
        self.device_code = device_code
        self.user_code = user_code
        self.client_id = client_id
        self.scopes = scopes          # requested
        self.form = form              # the device authorization request's form
        self.issued = time.monotonic()
        self.interval = interval      # what RFC 8628 lets the client poll at now
        self.expires_at = self.issued + expires_in
        self.state = "pending"        # approved, denied, used
        self.approver = None
        self.granted = None
        self.groups = None            # None: the approver's own groups
        self.forced_slow_downs = 0
        self.forgotten = False
        self.polls = []
        self.changed = threading.Condition()

    def kinds(self):
        return [p.kind for p in self.polls]


class DialectIdP:
    """PROFILE served over HTTPS (fault_server.FaultServer with CERTS); ID tokens signed by
    SIGNER. INTERVAL replaces the profile's interval (the suite keeps polls 1 s apart)."""

    def __init__(self, profile, certs, signer, interval=1):
        self.profile = profile
        self.signer = signer
        self.interval = interval
        self.lock = threading.Lock()
        self.flows = {}       # device_code -> Flow
        self.by_user_code = {}
        self.tokens = {}      # access_token -> (flow, account, scopes, groups)
        self.server = FaultServer(certs, {})
        self.base = self.server.base
        self.issuer = None if profile.issuer is None else self.base + profile.issuer
        self.server.script = self._script()

    # ---------------------------------------------------------------- what the test does

    def url(self, path):
        return self.base + path

    def flow(self, user_code, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                flow = self.by_user_code.get(user_code)
            if flow is not None:
                return flow
            time.sleep(0.01)
        raise AssertionError(f"the fake {self.profile.name} never issued user code {user_code!r}")

    def _change(self, user_code, change):
        flow = self.flow(user_code)
        with flow.changed:
            change(flow)
            flow.changed.notify_all()
        return flow

    def approve(self, user_code, user, scopes=None, groups=None):
        """USER approves; SCOPES: what they grant of what was requested (default: all of
        it); GROUPS: their memberships now (default: the account's)."""
        def change(flow):
            flow.state = "approved"
            flow.approver = user
            flow.granted = [s for s in flow.scopes if scopes is None or s in scopes]
            flow.groups = groups
        return self._change(user_code, change)

    def deny(self, user_code):
        def change(flow):
            # An IdP without a denial (Dex) keeps answering pending: the code just expires.
            if self.profile.has_denial:
                flow.state = "denied"
        return self._change(user_code, change)

    def end_life(self, user_code, after=0.0):
        """The code's life at the IdP ends AFTER seconds from now (the person never acts)."""
        def change(flow):
            flow.expires_at = time.monotonic() + after
        return self._change(user_code, change)

    def forget(self, user_code):
        def change(flow):
            flow.forgotten = True
        return self._change(user_code, change)

    def slow_down_next(self, user_code, count=1):
        def change(flow):
            flow.forced_slow_downs += count
        return self._change(user_code, change)

    def wait_for(self, user_code, predicate, timeout=15.0):
        """Waits until PREDICATE(flow) holds (checked at every poll)."""
        flow = self.flow(user_code)
        deadline = time.monotonic() + timeout
        with flow.changed:
            while not predicate(flow):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting on {self.profile.name} flow: polls {flow.polls}")
                flow.changed.wait(left)
        return flow

    def requests(self, path):
        return self.server.hits(path)

    def close(self):
        self.server.close()

    # ---------------------------------------------------------------- the wire

    def _script(self):
        p = self.profile.paths
        script = {p["device"]: self._device, p["token"]: self._token}
        if "userinfo" in p:
            script[p["userinfo"]] = self._userinfo
        if "jwks" in p:
            script[p["jwks"]] = lambda server, request: self._json(200, {"keys": [self.signer.jwk]})
        if "introspection" in p:
            script[p["introspection"]] = self._introspection
        if "orgs" in p:
            script[p["orgs"]] = lambda server, request: self._memberships(request, "orgs")
        if "teams" in p:
            script[p["teams"]] = lambda server, request: self._memberships(request, "teams")
        if self.issuer is not None:
            # OpenID Connect Discovery §4: a terminating "/" of the issuer is removed first.
            path = self.profile.issuer.rstrip("/") + "/.well-known/openid-configuration"
            script[path] = self._discovery
        return script

    def _json(self, status, body, headers=None, request=None):
        if request is not None and self.profile.form_unless_json and JSON not in request.headers.get("Accept", ""):
            # GitHub: form-encoded unless Accept: application/json.
            content, kind = urllib.parse.urlencode(body).encode(), FORM
        else:
            content = json.dumps(body).encode()
            kind = self.profile.success.get("content_type", JSON)
        all_headers = {"Content-Type": kind, "Cache-Control": "no-store"}
        all_headers.update(headers or {})
        return {"status": status, "headers": all_headers, "body": content}

    def _answer(self, answer, request, interval=None):
        return self._json(answer.status, answer.body(interval), answer.headers, request)

    def _client_refusal(self, request, form, endpoint):
        """None when the client authenticated as the profile requires at ENDPOINT, else the
        refusal (RFC 6749 §5.2 invalid_client; 401 when Basic was tried)."""
        client = self.profile.client
        refusal = self.profile.answers.get("invalid_client", Answer(401, "invalid_client"))
        basic_id = basic_secret = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                pair = base64.b64decode(header[6:]).decode()
                basic_id, _, basic_secret = pair.partition(":")
                # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
                basic_id, basic_secret = urllib.parse.unquote_plus(basic_id), urllib.parse.unquote_plus(basic_secret)
            except (ValueError, UnicodeDecodeError):
                return self._answer(refusal, request)
        client_id = basic_id or form.get("client_id")
        if client_id != client["client_id"]:
            return self._answer(refusal, request)
        if not client.get(f"{endpoint}_auth"):
            return None
        if client["auth"] == "basic" and basic_secret == client["secret"]:
            return None
        if client["auth"] == "post" and form.get("client_secret") == client["secret"]:
            return None
        return self._answer(refusal, request)

    def _device(self, server, request):
        profile, d = self.profile, self.profile.device
        form = request.form()
        refusal = self._client_refusal(request, form, "device")
        if refusal is not None:
            return refusal
        device_code = profile.success.get("device_code_prefix", "") + secrets.token_urlsafe(30)
        user_code = make_user_code(d.get("user_code", "XXXX-XXXX"))
        flow = Flow(device_code, user_code, form.get("client_id"), profile.requested_scopes(form), form,
                    self.interval, d["expires_in"])
        with self.lock:
            self.flows[device_code] = flow
            self.by_user_code[user_code] = flow
        uri = d["verification_uri"]
        body = {"device_code": device_code, "user_code": user_code, d.get("uri_field", "verification_uri"): uri,
                "expires_in": d["expires_in"], "interval": self.interval}
        if d.get("complete"):
            body["verification_uri_complete"] = f"{uri}?user_code={user_code}"
        if d.get("message"):
            body["message"] = d["message"](uri, user_code)
        body.update(d.get("extra", {}))
        return self._json(200, body, request=request)

    def _token(self, server, request):
        profile = self.profile
        form = request.form()
        refusal = self._client_refusal(request, form, "token")
        with self.lock:
            flow = self.flows.get(form.get("device_code", ""))
        if refusal is not None:
            if flow is not None:
                self._record(flow, request, "client_refused", refusal["status"])
            return refusal
        if form.get("grant_type") != DEVICE_GRANT:
            return self._answer(Answer(400, "unsupported_grant_type"), request)
        if flow is None:
            return self._answer(profile.answers["unknown_code"], request)
        with flow.changed:
            step = self._poll(flow, request)
            flow.changed.notify_all()
        return step

    def _poll(self, flow, request):
        """The answer to one poll, in Keycloak's order (its DeviceGrantType): unknown,
        expired, too early, then what the person did."""
        answers = self.profile.answers
        now = request.time
        previous = flow.polls[-1].time if flow.polls else None
        if flow.forgotten or flow.state == "used":
            kind = "unknown_code" if flow.forgotten else "used"
            return self._record(flow, request, kind, self._answer(answers["unknown_code"], request))
        if now >= flow.expires_at:
            first = not any(p.kind == "expired" for p in flow.polls)
            if first or "after_expired" not in answers:
                return self._record(flow, request, "expired", self._answer(answers["expired"], request))
            return self._record(flow, request, "after_expired", self._answer(answers["after_expired"], request))
        early = previous is not None and now - previous < flow.interval - EARLY_TOLERANCE
        if early or (flow.forced_slow_downs > 0 and flow.state == "pending"):
            if not early:
                flow.forced_slow_downs -= 1
            # RFC 8628 §3.5: 5 s more "for this and all subsequent requests".
            flow.interval += 5
            kind = "slow_down_early" if early else "slow_down_forced"
            return self._record(flow, request, kind, self._answer(answers["slow_down"], request, flow.interval))
        if flow.state == "approved":
            flow.state = "used"
            return self._record(flow, request, "success", self._json(200, self._grant(flow), request=request))
        if flow.state == "denied":
            return self._record(flow, request, "denied", self._answer(answers["denied"], request))
        return self._record(flow, request, "pending", self._answer(answers["pending"], request))

    def _record(self, flow, request, kind, step):
        status = step if isinstance(step, int) else step["status"]
        flow.polls.append(Poll(request.time, kind, status))
        return step

    def _grant(self, flow):
        profile, s = self.profile, self.profile.success
        account = profile.accounts[flow.approver]
        groups = account.groups if flow.groups is None else flow.groups
        access_token = s.get("access_token_prefix", "") + secrets.token_urlsafe(32)
        self.tokens[access_token] = (flow, account, flow.granted, groups)
        body = {"access_token": access_token, "token_type": s.get("token_type", "Bearer")}
        if "expires_in" in s:
            body["expires_in"] = s["expires_in"]
        body["scope"] = profile.scope_text(flow.granted)
        if s.get("refresh_token"):
            body["refresh_token"] = secrets.token_urlsafe(32)
        if s.get("id_token", True) and profile.claims is not None and "openid" in flow.granted:
            body["id_token"] = self.signer.sign(self._id_token_claims(account, groups, flow.granted))
        body.update(s.get("extra", {}))
        return body

    def _identity(self, account, groups, scopes):
        return self.profile.claims(self.profile, account, groups, scopes, self.profile.client["client_id"])

    def _id_token_claims(self, account, groups, scopes):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.profile.client["client_id"], "iat": now, "exp": now + 3600}
        claims.update(self._identity(account, groups, scopes))
        return claims

    def _bearer(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        # GitHub also takes "token TOKEN"; RFC 6750 §2.1 says "Bearer".
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.tokens.get(token.strip())

    def _api_refusal(self, request):
        if self.profile.user_agent_required and not request.headers.get("User-Agent"):
            # https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
            # (User-Agent required; requests without one are rejected)
            return self._json(403, {"message": "Request forbidden by administrative rules. "
                                               "Please make sure your request has a User-Agent header"})
        if self._bearer(request) is None:
            if self.profile.userinfo is not None:
                return self._json(401, {"message": "Bad credentials"})
            return self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return None

    def _userinfo(self, server, request):
        refusal = self._api_refusal(request)
        if refusal is not None:
            return refusal
        flow, account, scopes, groups = self._bearer(request)
        if self.profile.userinfo is not None:
            return self._json(200, self.profile.userinfo(self.profile, account, groups, scopes))
        return self._json(200, self._identity(account, groups, scopes))

    def _memberships(self, request, kind):
        refusal = self._api_refusal(request)
        if refusal is not None:
            return refusal
        flow, account, scopes, groups = self._bearer(request)
        if self.profile.group_scopes and not set(scopes) & set(self.profile.group_scopes):
            # https://docs.github.com/en/rest/orgs/orgs#list-organizations-for-the-authenticated-user:
            # "requests with insufficient scope will receive a 403 Forbidden response".
            return self._json(403, {"message": "Resource not accessible by integration"})
        return self._json(200, self.profile.memberships(kind, groups))

    def _introspection(self, server, request):
        form = request.form()
        refusal = self._client_refusal(request, form, "token")
        if refusal is not None:
            return refusal
        found = self.tokens.get(form.get("token", ""))
        if found is None:
            return self._json(200, {"active": False})
        flow, account, scopes, groups = found
        now = int(time.time())
        identity = self._identity(account, groups, scopes)
        # RFC 7662 §2.2
        body = {"active": True, "scope": " ".join(scopes), "client_id": self.profile.client["client_id"],
                "token_type": "Bearer", "exp": now + 300, "iat": now, "iss": self.issuer, "sub": identity["sub"]}
        if "preferred_username" in identity:
            body["username"] = identity["preferred_username"]
        return self._json(200, body)

    def _discovery(self, server, request):
        p = self.profile.paths
        doc = {
            "issuer": self.issuer,
            "device_authorization_endpoint": self.url(p["device"]),
            "token_endpoint": self.url(p["token"]),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "grant_types_supported": [DEVICE_GRANT],
        }
        for name, key in (("userinfo", "userinfo_endpoint"), ("jwks", "jwks_uri"),
                          ("introspection", "introspection_endpoint")):
            if name in p:
                doc[key] = self.url(p[name])
        doc.update(self.profile.discovery)
        return self._json(200, doc)


def make_user_code(pattern):
    """A user code shaped like PATTERN: X a letter of RFC 8628 §6.1's base-20 alphabet,
    A a letter or digit, 9 a digit; anything else is kept."""
    letters = "BCDFGHJKLMNPQRSTVWXZ"
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    out = []
    for c in pattern:
        if c == "X":
            out.append(secrets.choice(letters))
        elif c == "A":
            out.append(secrets.choice(alnum))
        elif c == "9":
            out.append(secrets.choice("0123456789"))
        else:
            out.append(c)
    return "".join(out)
