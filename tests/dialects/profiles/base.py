"""What a dialect profile is made of: the wire behaviour of one IdP's device flow, as
data the fake IdP (tests/dialects/dialect_server.py) serves and the cases
(tests/dialects/test_dialects.py) check against.

Every profile module (github.py, google.py, ...) builds one Profile and cites the
vendor's documentation for each fact in a comment. Where the research notes
(tests/dialects/notes, summarised in tests/dialects/README.md) mark a fact unconfirmed, the
profile says "unconfirmed" and uses the RFC-standard behaviour defined here.

RFC 8628: https://www.rfc-editor.org/rfc/rfc8628
RFC 6749: https://www.rfc-editor.org/rfc/rfc6749
"""

# RFC 8628 §3.4
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Answer:
    """One token-endpoint answer: HTTP status, the JSON (or form) members, extra headers.
    NEW_INTERVAL: the body carries the increased `interval` (GitHub's slow_down)."""

    def __init__(self, status, error, description=None, extra=None, headers=None, new_interval=False):
        self.status = status
        self.error = error
        self.description = description
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self.new_interval = new_interval

    def body(self, interval=None):
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        body.update(self.extra)
        if self.new_interval and interval is not None:
            body["interval"] = interval
        return body


def rfc_answers(**changes):
    """RFC 8628 §3.5 / RFC 6749 §5.2: every error is HTTP 400 with a JSON `error`; an
    unknown device code is `invalid_grant` (RFC 6749 §5.2: the grant "is invalid,
    expired, revoked"). CHANGES replace single answers (None removes one: an IdP that
    never sends it)."""
    answers = {
        "pending": Answer(400, "authorization_pending"),
        "slow_down": Answer(400, "slow_down"),
        "denied": Answer(400, "access_denied"),
        "expired": Answer(400, "expired_token"),
        "unknown_code": Answer(400, "invalid_grant"),
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


class Account:
    """A person at the IdP. CLAIMS: what the ID token and userinfo say about them (the
    profile shapes them); GROUPS: their group names (or ids) at the IdP; IDENTITY: the
    value the recipe's username_map lists for them."""

    def __init__(self, identity, claims, groups=()):
        self.identity = identity
        self.claims = dict(claims)
        self.groups = list(groups)


class Profile:
    """One IdP's device-flow dialect.

    name          short name, also the recipe's file name (conf/idp/NAME.conf)
    origins       the https origins the recipe names; the test points them all at the fake
    placeholders  words in the recipe an admin replaces (YOUR-TENANT-ID), with the test's values
    issuer        the issuer's path at the fake (None: no OpenID Connect, no discovery);
                  the recipe's `issuer` must come out exactly as this
    paths         device, token, and as the IdP has them: userinfo, jwks, introspection,
                  orgs, teams (GitHub's membership lists)
    discovery     extra members of the discovery document
    client        client_id, auth ("none", "basic", "post"), secret, and where the IdP
                  checks it: device_auth / token_auth (True: refused without it)
    device        how the device authorization response is built:
                  uri_field ("verification_uri" | "verification_url"),
                  verification_uri, complete (add verification_uri_complete),
                  message (callable(uri, code) -> Entra's `message`), expires_in,
                  interval, user_code (a pattern: "XXXX-XXXX", "XXXXXXXX", "XXXXXXXXX",
                  "999-999-999"), extra (more members)
    form_unless_json  answers form-encoded unless the request's Accept names application/json
    answers       token-endpoint answers by kind: pending, slow_down, denied (None: the IdP
                  has no denial, the person's "deny" leaves the code pending until it
                  expires), expired, after_expired (answer to every poll after the first
                  expired one), unknown_code
    success       token_type, scope_separator (" " or ","), scope_names (requested name ->
                  name in the response, Google's expanded URLs), id_token (sent when openid
                  was granted), refresh_token, expires_in, access_token_prefix, extra
    claims        callable(profile, account, groups, scopes, client_id) -> the identity
                  claims (ID token and userinfo); None: no OpenID Connect
    userinfo      callable(profile, account, groups, scopes) -> the userinfo body, when it
                  differs from claims (GitHub's GET /user)
    accounts      {"alice": Account, "bob": Account}
    user_agent_required  the API refuses requests without User-Agent (GitHub)
    group_scopes  scopes without which the membership lists refuse (GitHub)
    memberships   callable(kind, groups) -> the body of a membership list ("orgs", "teams")
    requested_scopes  callable(form) -> the scopes a device request asks for (Auth0 drops
                  API permissions without an audience); default: the form's `scope`
    notes         what this profile could not confirm (printed by --list)
    """

    def __init__(self, name, title, origins, paths, client, device, answers, success, accounts, issuer=None,
                 placeholders=None, discovery=None, form_unless_json=False, claims=None, userinfo=None,
                 user_agent_required=False, group_scopes=(), memberships=None, requested_scopes=None, notes=()):
        self.name = name
        self.title = title
        self.origins = list(origins)
        self.placeholders = dict(placeholders or {})
        self.issuer = issuer
        self.paths = dict(paths)
        self.discovery = dict(discovery or {})
        self.client = dict(client)
        self.device = dict(device)
        self.form_unless_json = form_unless_json
        self.answers = answers
        self.success = dict(success)
        self.claims = claims
        self.userinfo = userinfo
        self.accounts = accounts
        self.user_agent_required = user_agent_required
        self.group_scopes = tuple(group_scopes)
        self._memberships = memberships
        self._requested_scopes = requested_scopes
        self.notes = list(notes)

    def requested_scopes(self, form):
        """The scopes a device authorization request FORM asks for, as the IdP reads them."""
        if self._requested_scopes is not None:
            return self._requested_scopes(form)
        return form.get("scope", "").split()

    def memberships(self, kind, groups):
        """The body of a membership list (GitHub's /user/orgs, /user/teams) for GROUPS."""
        return self._memberships(kind, groups)

    @property
    def has_denial(self):
        return "denied" in self.answers

    def scope_text(self, scopes):
        """The granted scopes as this IdP writes them in a token response."""
        names = self.success.get("scope_names", {})
        return self.success.get("scope_separator", " ").join(names.get(s, s) for s in scopes)


def standard_claims(profile, account, groups, scopes, client_id):
    """OpenID Connect Core §5.1 claims of ACCOUNT, with `groups` when it has any."""
    claims = dict(account.claims)
    if groups:
        claims["groups"] = list(groups)
    return claims
