"""ZITADEL, a Native application with the Device Code grant in a project whose roles are
asserted on authentication.

[ZI1] https://zitadel.com/docs/guides/integrate/login/oidc/device-authorization
[ZI2] https://zitadel.com/docs/apis/openidoauth/claims
[ZI3] https://zitadel.com/apis/openidoauth/scopes
[ZI4] https://github.com/zitadel/zitadel/pull/5646
"""

from .base import Account, Profile, rfc_answers

HOST = "https://YOUR-INSTANCE.zitadel.cloud"
ROLES = "urn:zitadel:iam:org:project:roles"
ORG_ID, ORG_DOMAIN = "259241962223190018", "acme.zitadel.cloud"


def claims(profile, account, groups, scopes, client_id):
    body = {"sub": account.claims["sub"]}
    if "profile" in scopes:
        body.update(preferred_username=account.claims["preferred_username"], name=account.claims["name"])
    if "email" in scopes:
        body.update(email=account.claims["email"], email_verified=True)
    # [ZI2] the roles claim is an object keyed by role, each value an object of org id ->
    # the org's primary domain (the doc example wraps it in an array: unconfirmed which).
    if groups:
        body[ROLES] = {role: {ORG_ID: ORG_DOMAIN} for role in groups}
    return body


PROFILE = Profile(
    name="zitadel",
    title="ZITADEL (Native application)",
    origins=[HOST],
    placeholders={"YOUR-CLIENT-ID": "259242039378444290@ssh"},
    issuer="",  # [ZI1] the instance URL, "Do not use a trailing slash!"
    paths={
        "device": "/oauth/v2/device_authorization",  # unconfirmed (a captured discovery document)
        "token": "/oauth/v2/token",                  # unconfirmed
        "userinfo": "/oidc/v1/userinfo",             # unconfirmed
        "jwks": "/oauth/v2/keys",                    # unconfirmed
    },
    # [ZI1] Native app, Device Code grant, no secret in the example.
    client={"client_id": "259242039378444290@ssh", "auth": "none", "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/device",  # [ZI1]
        "complete": True,                      # [ZI1] .../device?user_code=
        "expires_in": 300,                     # [ZI1] "currently 5 minutes"
        "interval": 5,                         # [ZI1]
        "user_code": "XXXX-XXXX",              # [ZI1] GQWC-FWFK
    },
    # [ZI1] polls "until the request is allowed, denied, or times out"; names and statuses
    # come from the zitadel/oidc library (unconfirmed): RFC answers served.
    answers=rfc_answers(),
    success={
        "token_type": "Bearer",   # [ZI1]
        "scope_separator": " ",   # unconfirmed
        "expires_in": 43199,      # [ZI1]
        "refresh_token": False,   # [ZI3] refresh "only possible when using code flow" (maybe outdated)
    },
    claims=claims,
    accounts={
        # [ZI2] sub = the user id (stable); preferred_username = login name (mutable)
        "alice": Account("259242039378444291", {"sub": "259242039378444291", "name": "Alice",
                                                "preferred_username": "alice@acme.zitadel.cloud",
                                                "email": "alice@example.com"}, groups=["ssh-login", "viewer"]),
        "bob": Account("259242039378444292", {"sub": "259242039378444292", "name": "Bob",
                                              "preferred_username": "bob@acme.zitadel.cloud",
                                              "email": "bob@example.com"}, groups=["viewer"]),
    },
    notes=[
        "endpoint paths (from a captured discovery document)",
        "every polling answer (RFC served)",
        "scope separator, id_token in the device flow",
        "the roles claim: object, or the doc example's array around it",
    ],
)
