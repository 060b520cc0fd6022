"""IdP dialects through the real Linux-PAM stack: for each profile in tests/dialects/profiles,
a fake IdP that speaks it (dialect_server.DialectIdP) and the admin's recipe for that IdP
(conf/idp/NAME.conf, its URLs pointed at the fake), one login per case with pam_drive on
pam_start_confdir. TAP output; run with /usr/bin/python3 as root.

    test_dialects.py                    every profile, every case
    test_dialects.py github dex_deny    one profile's cases, or single cases
    test_dialects.py --list             profiles, cases and what each profile could not confirm

Cases (each profile): approve before Enter; approve after Enter (pending polls first);
slow_down (the next poll at least interval + 5 s later); deny; expiry; the required scope
granted (and nothing more); a required scope missing; another user approving; the IdP no
longer knowing the code; and, where the recipe has require_group, the approver removed from
the group. Outcomes: success PAM_SUCCESS; a denial PAM_MAXTRIES; an expiry, a missing
scope, another user, an unknown code PAM_AUTH_ERR; never PAM_AUTHINFO_UNAVAIL for an
answer that is a denial or an expiry. In every case the module must never poll sooner
than RFC 8628 §3.5 allows (the fake answers such a poll with slow_down and counts it).

DIALECT_DROP_KEYS=key,key (a debugging aid, never set by make check) leaves those keys out
of the recipes, to see what else a module that lacks them gets wrong.
"""

import os
import shutil
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "integration"))
sys.path.insert(0, os.path.join(TESTS, "hostile"))
sys.path.insert(0, HERE)

import harness as H  # noqa: E402
import profiles  # noqa: E402
from dialect_server import DialectIdP, Signer  # noqa: E402
from fault_server import FaultCerts  # noqa: E402
from profiles import entra  # noqa: E402

RECIPES = os.path.join(H.SRC, "conf", "idp")
INTERVAL = 1          # seconds between polls (the fake overrides each profile's interval)
EXPIRE_AFTER = 2.5    # seconds a never-approved code lives at the fake in the expiry cases
SLACK = 0.25          # seconds of timer jitter allowed when checking poll spacing
USER = "alice"


# ---------------------------------------------------------------- the recipe as the test runs it

def read_recipe(name):
    """conf/idp/NAME.conf as (key, value) pairs, comments and blank lines dropped."""
    pairs = []
    with open(os.path.join(RECIPES, f"{name}.conf"), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise AssertionError(f"{name}.conf line {number}: not KEY = VALUE: {line!r}")
            pairs.append((key.strip(), value.strip()))
    return pairs


class Dialect:
    """One profile's fake IdP and what its cases share."""

    def __init__(self, profile, certs, signer, stack):
        self.profile = profile
        self.stack = stack
        self.idp = DialectIdP(profile, certs, signer, interval=INTERVAL)
        self.certs = certs
        self.recipe = read_recipe(profile.name)

    def values(self):
        """The recipe with the fake's URLs and the test's values for placeholders."""
        p, idp = self.profile, self.idp
        drop = {k for k in os.environ.get("DIALECT_DROP_KEYS", "").split(",") if k}
        config = {}
        for key, value in self.recipe:
            if key in drop:
                continue
            for origin in p.origins:
                value = value.replace(origin, idp.base)
            for word, replacement in p.placeholders.items():
                value = value.replace(word, replacement)
            config[key] = value
        left = [f"{k} = {v}" for k, v in config.items() if "YOUR-" in v]
        if left:
            raise AssertionError(f"placeholders the profile does not fill: {left}")
        if p.issuer is not None and config.get("issuer") != idp.issuer:
            raise AssertionError(f"the recipe's issuer {config.get('issuer')!r} is not the profile's {idp.issuer!r}")
        return config

    def recipe_value(self, key):
        return self.values().get(key)

    @property
    def required(self):
        return (self.recipe_value("require_scope") or "").split()

    @property
    def requested(self):
        return (self.recipe_value("scope") or "openid").split()

    def config(self, directory, **overrides):
        """The recipe as values() gives it, with the test's files and timing; OVERRIDES
        change keys (None removes one)."""
        p = self.profile
        config = self.values()
        if "client_secret_file" in config:
            config["client_secret_file"] = self.stack.write_secret(directory, p.client["secret"])
        if "username_map" in config:
            lines = "".join(f"{a.identity} {user}\n" for user, a in p.accounts.items())
            config["username_map"] = self.stack.write_file(directory, "username_map", lines)
        config.update(ca_file=self.certs.ca_file, timeout="30", http_timeout="5", debug="on", cache="off")
        config.update(overrides)
        return {k: v for k, v in config.items() if v is not None}


class Run:
    """One case: its service, its login, and what the fake saw of it."""

    def __init__(self, dialect, name, **overrides):
        self.dialect = dialect
        self.idp = dialect.idp
        self.profile = dialect.profile
        self.name = name
        directory = dialect.stack.new_dir(name)
        self.service = dialect.stack.service(name, dialect.config(directory, **overrides))
        self.login = None
        self.flow = None
        self.errors = []  # exceptions raised in the person's actions (threads)

    def act(self, action):
        """An on_prompt callback: ACTION(user_code), errors kept for the report."""
        def on_prompt(login):
            try:
                action(login.user_code)
            except Exception:  # noqa: BLE001
                self.errors.append(traceback.format_exc())
        return on_prompt

    def later(self, predicate, action):
        """An on_prompt callback: ACTION(user_code) once PREDICATE(flow) holds, in a thread."""
        def on_prompt(login):
            code = login.user_code

            def run():
                try:
                    self.idp.wait_for(code, predicate)
                    action(code)
                except Exception:  # noqa: BLE001
                    self.errors.append(traceback.format_exc())
            threading.Thread(target=run, daemon=True).start()
        return on_prompt

    def run(self, on_prompt, user=USER):
        self.login = self.dialect.stack.login(self.service, user, on_prompt=on_prompt, timeout=60)
        if self.login.user_code is not None:
            try:
                self.flow = self.idp.flow(self.login.user_code, timeout=0.5)
            except AssertionError:
                self.flow = None
        return self.login

    # ---- checks

    def problems(self, code, user_text=None, log_texts=()):
        login, problems = self.login, list(self.errors)
        if login.result != code:
            problems.append(f"PAM code: expected {code}, got {login.result}")
        if code in (H.PAM_MAXTRIES, H.PAM_AUTH_ERR) and login.result == H.PAM_AUTHINFO_UNAVAIL:
            problems.append("PAM_AUTHINFO_UNAVAIL (9) for an answer that is a refusal, a denial or an expiry")
        shown = "\n".join(login.errors + login.info)
        if user_text is not None and user_text not in shown:
            problems.append(f"the user was not told {user_text!r}; shown: {shown!r}")
        for text in log_texts:
            if text not in login.log:
                problems.append(f"syslog lacks {text!r}")
        if self.flow is not None:
            early = [p for p in self.flow.polls if p.kind == "slow_down_early"]
            if early:
                problems.append(f"polled sooner than RFC 8628 §3.5 allows: {early}")
        return problems

    def check(self, problems):
        if problems:
            polls = self.flow.polls if self.flow is not None else "no flow (no code shown)"
            raise AssertionError("\n".join(problems) + f"\n(result {self.login.result}, {self.login.elapsed:.1f} s;"
                                 f" polls {polls};\n shown {self.login.shown!r};\n errors {self.login.errors!r};\n"
                                 f" log {self.login.log.strip()!r})")

    def success_problems(self):
        problems = self.problems(H.PAM_SUCCESS, log_texts=(f"user={USER}", "result=approved"))
        d = self.profile.device
        if self.login.url != d["verification_uri"]:
            problems.append(f"verification URI shown: expected {d['verification_uri']!r}, got {self.login.url!r}")
        if self.flow is None:
            problems.append(f"the code shown ({self.login.user_code!r}) is not one the fake issued")
        return problems


def deny_outcome(profile):
    """A denial, or (an IdP without one: Dex) the expiry it turns into."""
    if profile.has_denial:
        return H.PAM_MAXTRIES, "Sign-in was denied", ("result=denied",)
    return H.PAM_AUTH_ERR, "not approved in time", ("result=expired",)


# ---------------------------------------------------------------- the cases

def approve_before_enter(d):
    r = Run(d, "approve-before")
    r.run(r.act(lambda code: d.idp.approve(code, USER)))
    r.check(r.success_problems())


def approve_after_enter(d):
    r = Run(d, "approve-after")
    r.run(r.later(lambda f: "pending" in f.kinds(), lambda code: d.idp.approve(code, USER)))
    problems = r.success_problems()
    if r.flow is not None:
        pending = [p for p in r.flow.polls if p.kind == "pending"]
        if not pending:
            problems.append(f"no pending poll before the approval: {r.flow.polls}")
        status = d.profile.answers["pending"].status
        if any(p.status != status for p in pending):
            problems.append(f"pending answers were not the profile's HTTP {status}: {pending}")
    r.check(problems)


def slow_down(d):
    r = Run(d, "slow-down")

    def on_prompt(login):
        d.idp.slow_down_next(login.user_code)
        r.later(lambda f: "slow_down_forced" in f.kinds(), lambda code: d.idp.approve(code, USER))(login)
    r.run(on_prompt)
    problems = r.success_problems()
    if r.flow is not None:
        polls, kinds = r.flow.polls, r.flow.kinds()
        if "slow_down_forced" not in kinds:
            problems.append(f"slow_down was never answered: {polls}")
        else:
            i = kinds.index("slow_down_forced")
            # RFC 8628 §3.5: 5 s more for this and every later request; GitHub's body carries
            # the new interval, which is the same number (old + 5).
            need = INTERVAL + 5
            if i + 1 >= len(polls):
                problems.append(f"no poll after slow_down: {polls}")
            elif polls[i + 1].time - polls[i].time < need - SLACK:
                problems.append(f"the poll after slow_down came {polls[i + 1].time - polls[i].time:.2f} s later, "
                                f"not at least {need} s: {polls}")
    r.check(problems)


def deny(d):
    r = Run(d, "deny")

    def act(code):
        d.idp.deny(code)
        if not d.profile.has_denial:
            d.idp.end_life(code, EXPIRE_AFTER)
    r.run(r.act(act))
    code, text, logs = deny_outcome(d.profile)
    r.check(r.problems(code, text, logs))


def expiry(d):
    # The person never acts; the code's life at the IdP ends before the module's own
    # deadline, so the module meets the profile's expiry answer (its own deadline is the
    # hostile suite's business).
    r = Run(d, "expiry")
    r.run(r.act(lambda code: d.idp.end_life(code, EXPIRE_AFTER)))
    problems = r.problems(H.PAM_AUTH_ERR, "not approved in time", ("result=expired",))
    if r.flow is not None and "expired" not in r.flow.kinds():
        problems.append(f"the module never met the expiry answer: {r.flow.polls}")
    r.check(problems)


def required_scope_granted(d):
    r = Run(d, "scope-granted")
    # Exactly the required scopes, and the OpenID Connect ones that carry the identity.
    minimal = [s for s in d.requested if s in d.required or s in ("openid", "profile", "email")]
    r.run(r.act(lambda code: d.idp.approve(code, USER, scopes=minimal)))
    r.check(r.success_problems())


def required_scope_missing(d):
    r = Run(d, "scope-missing")
    candidates = [s for s in d.required if s != "openid"] or d.required
    missing = candidates[-1]
    granted = [s for s in d.requested if s != missing]
    r.run(r.act(lambda code: d.idp.approve(code, USER, scopes=granted)))
    r.check(r.problems(H.PAM_AUTH_ERR, f"not authorized for {USER}",
                       ("result=not-authorized", f"required scope '{missing}' not granted")))


def another_user_approves(d):
    r = Run(d, "other-user")
    r.run(r.act(lambda code: d.idp.approve(code, "bob")))
    # The refusal must name bob's identity: refused for another reason, it proves nothing.
    bob = d.profile.accounts["bob"].identity
    r.check(r.problems(H.PAM_AUTH_ERR, f"not authorized for {USER}", ("result=not-authorized", f"='{bob}'")))


def unknown_code(d):
    # The IdP no longer knows the device code (a restart, an evicted cache): a refusal.
    r = Run(d, "unknown-code")
    r.run(r.act(lambda code: d.idp.forget(code)))
    answer = d.profile.answers["unknown_code"]
    r.check(r.problems(H.PAM_AUTH_ERR, None, (answer.error,)))


def removed_from_group(d):
    r = Run(d, "not-in-group")
    r.run(r.act(lambda code: d.idp.approve(code, USER, groups=[])))
    r.check(r.problems(H.PAM_AUTH_ERR, f"not authorized for {USER}",
                       ("result=not-authorized", "is in none of the groups")))


def fake_speaks_the_profile(d):
    """Not a module test: the fake itself, over HTTPS with a plain client, answers as its
    profile says (so a failing case above is the module's, not the fake's)."""
    import base64 as b64
    import json
    import ssl
    import urllib.error
    import urllib.parse
    import urllib.request
    p, idp = d.profile, d.idp
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(
        context=ssl.create_default_context(cafile=d.certs.ca_file)))
    opener.addheaders = []  # no default User-Agent: the test says when to send one

    def call(path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(idp.url(path), data=data, headers=dict(headers or {}))
        try:
            with opener.open(request, timeout=5) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    client = {"client_id": p.client["client_id"]}
    headers = {"Accept": "application/json", "User-Agent": "selftest"}
    if p.client.get("secret"):
        if p.client["auth"] == "basic":
            pair = f"{p.client['client_id']}:{p.client['secret']}".encode()
            headers["Authorization"] = "Basic " + b64.b64encode(pair).decode()
        else:
            client["client_secret"] = p.client["secret"]
    form = dict(client, scope=" ".join(d.requested))
    if d.recipe_value("audience"):
        form["audience"] = d.recipe_value("audience")
    status, answer_headers, body = call(p.paths["device"], form, headers)
    H.Check.equal(status, 200, "device authorization status")
    device = json.loads(body)
    field = p.device.get("uri_field", "verification_uri")
    H.Check.equal(device.get(field), p.device["verification_uri"], field)
    H.Check.equal("verification_uri_complete" in device, bool(p.device.get("complete")), "verification_uri_complete")
    H.Check.equal("message" in device, bool(p.device.get("message")), "message")
    if p.form_unless_json:
        _, bare_headers, bare = call(p.paths["device"], form, {"User-Agent": "selftest"})
        H.Check.contains(bare_headers["Content-Type"], "x-www-form-urlencoded", "form-encoded without Accept")
        H.Check.contains(bare.decode(), "device_code=", "form-encoded body")
    poll = dict(client, grant_type="urn:ietf:params:oauth:grant-type:device_code", device_code=device["device_code"])
    status, _, body = call(p.paths["token"], poll, headers)
    H.Check.equal((status, json.loads(body)["error"]), (p.answers["pending"].status, p.answers["pending"].error),
                  "pending answer")
    status, _, body = call(p.paths["token"], poll, headers)  # at once: too early
    slow = json.loads(body)
    H.Check.equal((status, slow["error"]), (p.answers["slow_down"].status, "slow_down"), "early poll")
    H.Check.equal(slow.get("interval"), INTERVAL + 5 if p.answers["slow_down"].new_interval else None,
                  "slow_down interval member")
    idp.approve(device["user_code"], USER)
    time.sleep(INTERVAL + 5.05)
    status, _, body = call(p.paths["token"], poll, headers)
    H.Check.equal(status, 200, "token status")
    token = json.loads(body)
    H.Check.equal(token["token_type"], p.success.get("token_type", "Bearer"), "token_type")
    H.Check.equal(token["scope"], p.scope_text(idp.flow(device["user_code"]).granted), "scope text")
    H.Check.equal("id_token" in token, p.claims is not None and "openid" in d.requested, "id_token present")
    if "id_token" in token:
        payload = json.loads(b64.urlsafe_b64decode(token["id_token"].split(".")[1] + "=="))
        H.Check.equal(payload["iss"], idp.issuer, "ID token iss")
        H.Check.equal(payload["sub"] if "sub" in payload else None, p.accounts[USER].claims.get("sub"), "ID token sub")
    if "userinfo" in p.paths:
        status, _, body = call(p.paths["userinfo"], None, {"Authorization": f"Bearer {token['access_token']}",
                                                           "User-Agent": "selftest"})
        H.Check.equal(status, 200, "userinfo status")
        claim = d.recipe_value("username_claim") or "preferred_username"
        H.Check.equal(str(json.loads(body).get(claim)), p.accounts[USER].identity, f"userinfo {claim}")
    if p.user_agent_required:
        status, _, _ = call(p.paths["userinfo"], None, {"Authorization": f"Bearer {token['access_token']}"})
        H.Check.equal(status, 403, "API request without User-Agent")
    for kind in ("orgs", "teams"):
        if kind in p.paths:
            status, _, body = call(p.paths[kind], None, {"Authorization": f"Bearer {token['access_token']}",
                                                         "User-Agent": "selftest"})
            H.Check.equal(status, 200, f"/user/{kind}")
    status, _, body = call(p.paths["token"], poll, headers)  # the code is used up
    H.Check.equal(json.loads(body)["error"], p.answers["unknown_code"].error, "poll after success")


CASES = [fake_speaks_the_profile, approve_before_enter, approve_after_enter, slow_down, deny, expiry,
         required_scope_granted, required_scope_missing, another_user_approves, unknown_code]


# ---- cases of one profile

def github_comma_separated_scopes(d):
    # Two scopes, so GitHub's comma-separated answer ("read:org,read:user") matters.
    r = Run(d, "comma-scopes", scope="read:org read:user", require_scope="read:org read:user")
    r.run(r.act(lambda code: d.idp.approve(code, USER)))
    r.check(r.success_problems())


def entra_groups_overage_refused(d):
    # Above 200 groups Entra leaves `groups` out and points at Graph (_claim_names,
    # _claim_sources): a missing groups claim is no membership, never "member of all".
    r = Run(d, "overage")
    many = [entra.SSH_USERS] + [f"00000000-0000-4000-8000-{n:012d}" for n in range(250)]
    r.run(r.act(lambda code: d.idp.approve(code, USER, groups=many)))
    r.check(r.problems(H.PAM_AUTH_ERR, f"not authorized for {USER}",
                       ("result=not-authorized", "is in none of the groups")))


EXTRA = {"github": [github_comma_separated_scopes], "entra": [entra_groups_overage_refused]}


def cases_of(dialect):
    cases = list(CASES)
    if dialect.recipe_value("require_group"):
        cases.append(removed_from_group)
    return cases + EXTRA.get(dialect.profile.name, [])


def bind(case, dialect):
    def run():
        case(dialect)
    run.__name__ = f"{dialect.profile.name}_{case.__name__}"
    return run


# ---------------------------------------------------------------- running

def prerequisites():
    missing = H.stack_prerequisites()
    if shutil.which("openssl") is None:
        missing.append("openssl")
    return missing


def list_profiles():
    for p in profiles.ALL:
        print(f"{p.name}: {p.title}")
        for note in p.notes:
            print(f"    unconfirmed: {note}")


def main(argv):
    if argv[:1] == ["--list"]:
        list_profiles()
        return 0
    missing = prerequisites()
    if missing:
        return H.missing_prerequisite(f"dialect tests need {', '.join(missing)}")
    wanted = set(argv)
    unknown = [w for w in wanted if w not in profiles.BY_NAME and "_" not in w]
    if unknown:
        print(f"Bail out! unknown profiles {unknown}")
        return 1

    def body(workdir):
        dialects = []
        started = time.monotonic()
        try:
            certs = FaultCerts(os.path.join(workdir, "certs"))
            signer = Signer(workdir)
            stack = H.Stack(workdir, None)
            cases = []
            for profile in profiles.ALL:
                if wanted and profile.name not in wanted and not any(w.startswith(profile.name + "_")
                                                                     for w in wanted):
                    continue
                dialect = Dialect(profile, certs, signer, stack)
                dialects.append(dialect)
                for case in cases_of(dialect):
                    bound = bind(case, dialect)
                    if not wanted or profile.name in wanted or bound.__name__ in wanted:
                        cases.append(bound)
            rc = H.run_tap(cases, parallel=16)
            print(f"# dialects: {len(cases)} cases, {len(dialects)} profiles in {time.monotonic() - started:.1f} s")
            return rc
        finally:
            for dialect in dialects:
                dialect.idp.close()
    return H.run_suite("pam_oauth2-dialects-", body)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
