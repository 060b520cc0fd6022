"""Auth0, Native application, Device Code grant, with an API (audience) for the ssh:login
permission.

[A01] https://auth0.com/docs/api/authentication#device-authorization-flow
      (read as the auth0/docs source and https://auth0-feat-authentication-api-migration.auth0-mintlify.app/docs/api/authentication/device-authorization-flow/authorize-device)
[A02] https://auth0.com/docs/quickstart/native/device
      (read as https://auth0-migration.mintlify.app/docs/quickstart/native/device/interactive)
[A03] https://docs-dev.mintlify.app/docs/api/authentication/device-authorization/request-device-code
"""

from .base import Account, Answer, Profile

HOST = "https://YOUR-TENANT.auth0.com"
API = "https://ssh.example.com"
# Scopes Auth0 grants without an audience: the OpenID Connect ones (the token is then for
# /userinfo only, [A02]). That API permissions are dropped without one is unconfirmed.
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}


def claims(profile, account, groups, scopes, client_id):
    body = dict(account.claims)
    # [A01] custom claims (added by an Action) "must conform to a namespaced format".
    if groups:
        body["https://ssh.example.com/groups"] = list(groups)
    return body


def requested_scopes(form):
    """[A01] audience names the API whose permissions may be granted."""
    scopes = form.get("scope", "").split()
    if form.get("audience") == API:
        return scopes
    return [s for s in scopes if s in OIDC_SCOPES]


PROFILE = Profile(
    name="auth0",
    title="Auth0 (Native application + API)",
    origins=[HOST],
    placeholders={"YOUR-CLIENT-ID": "dIaLeCtTeStClIeNt0000000000000001"},
    issuer="/",  # unconfirmed: https://{yourDomain}/ with a trailing slash
    paths={
        "device": "/oauth/device/code",        # [A01] (+ audience)
        "token": "/oauth/token",               # [A01]
        "userinfo": "/userinfo",               # [A01] GET https://{yourDomain}/userinfo
        "jwks": "/.well-known/jwks.json",      # unconfirmed
    },
    # [A01] the device token request sends only client_id (a public Native app).
    client={"client_id": "dIaLeCtTeStClIeNt0000000000000001", "auth": "none", "device_auth": False,
            "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/activate",  # [A01] (older source: /device)
        "complete": True,                        # [A01] verification_uri_complete ...?user_code=
        "expires_in": 900,                       # [A01]
        "interval": 5,                           # [A01]
        "user_code": "XXXX-XXXX",                # [A01] WDJB-MJHT style
    },
    answers={
        # [A01] HTTP 403 for pending, with this description.
        "pending": Answer(403, "authorization_pending", "User has yet to authorize device code."),
        # [A01] HTTP 429 for slow_down, no interval member; Retry-After unconfirmed (none sent).
        "slow_down": Answer(429, "slow_down", "You are polling faster than the specified interval of 5 seconds."),
        # [A01] terminal answers are 403: access_denied | invalid_grant | ... (the
        # description text is unconfirmed).
        "denied": Answer(403, "access_denied", "User cancelled the confirmation prompt or consent page."),
        # [A02] expired_token "is returned exactly once. After that, the endpoint returns the
        # invalid_grant error."
        "expired": Answer(403, "expired_token", "The device code has expired."),
        "after_expired": Answer(403, "invalid_grant", "Invalid or expired device code."),
        "unknown_code": Answer(403, "invalid_grant", "Invalid or expired device code."),
    },
    success={
        "token_type": "Bearer",     # [A01]
        "scope_separator": " ",     # unconfirmed
        "expires_in": 86400,        # [A01]
        "refresh_token": False,     # [A02] only with offline_access and "Allow Offline Access"
    },
    claims=claims,
    accounts={
        # sub like auth0|... per connection (unconfirmed as stable)
        "alice": Account("auth0|65f0c0ffee0000000000a11c", {"sub": "auth0|65f0c0ffee0000000000a11c",
                                                            "nickname": "alice", "name": "alice@example.com"},
                         groups=["ssh-users"]),
        "bob": Account("auth0|65f0c0ffee00000000000b0b", {"sub": "auth0|65f0c0ffee00000000000b0b",
                                                          "nickname": "bob", "name": "bob@example.com"}),
    },
    requested_scopes=requested_scopes,
    notes=[
        "issuer with a trailing slash, discovery and jwks paths",
        "scope separator in the token response",
        "Retry-After on the 429 slow_down (none sent)",
        "description texts of the terminal answers",
        "API permissions dropped when no audience is sent",
        "sub as the stable key",
    ],
)
