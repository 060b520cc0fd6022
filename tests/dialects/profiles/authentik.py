"""authentik, an OAuth2/OpenID provider for one application (slug `ssh`), device code flow.

[AK1] https://docs.goauthentik.io/docs/add-secure-apps/providers/oauth2/device_code
[X1]  https://authjs.dev/reference/core/providers_authentik (third party: issuer with the slug, groups)
"""

from .base import Account, Profile, rfc_answers

HOST = "https://authentik.example.com"
SLUG = "ssh"


def claims(profile, account, groups, scopes, client_id):
    body = {"sub": account.claims["sub"]}
    if "profile" in scopes:
        # [X1] the default profile scope mapping carries preferred_username, name and
        # groups (unconfirmed in vendor text).
        body.update(preferred_username=account.claims["preferred_username"], name=account.claims["name"],
                    groups=list(groups))
    if "email" in scopes:
        body.update(email=account.claims["email"], email_verified=True)
    return body


PROFILE = Profile(
    name="authentik",
    title="authentik (OAuth2/OpenID provider)",
    origins=[HOST],
    placeholders={"YOUR-SLUG": SLUG, "YOUR-CLIENT-ID": "dialectTestClientIdAuthentik000000000001"},
    issuer=f"/application/o/{SLUG}/",  # [X1] per application, with a trailing slash (unconfirmed)
    paths={
        "device": "/application/o/device/",        # [AK1]
        "token": "/application/o/token/",          # [AK1]
        "userinfo": "/application/o/userinfo/",    # unconfirmed
        "jwks": f"/application/o/{SLUG}/jwks/",    # unconfirmed
    },
    # public or confidential provider (unconfirmed which the device flow needs): public.
    client={"client_id": "dialectTestClientIdAuthentik000000000001", "auth": "none", "device_auth": False,
            "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/device",  # unconfirmed
        "complete": True,                      # [AK1]
        "expires_in": 600,                     # unconfirmed
        "interval": 5,                         # unconfirmed
        "user_code": "XXXX-XXXX",              # unconfirmed
    },
    # [AK1] "authorization_pending" until done; the statuses, slow_down, access_denied,
    # expired_token and the unknown-code answer are unconfirmed: RFC answers served.
    answers=rfc_answers(),
    success={
        "token_type": "Bearer",
        "scope_separator": " ",   # unconfirmed
        "expires_in": 300,        # unconfirmed
        "refresh_token": False,
    },
    claims=claims,  # [AK1] "containing access_token and id_token"
    accounts={
        # sub: the provider's "subject mode", by default a hash of the user id (unconfirmed)
        "alice": Account("4e2a0d3f6c1b8e9a7d5c3b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10",
                         {"sub": "4e2a0d3f6c1b8e9a7d5c3b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10",
                          "preferred_username": "alice", "name": "Alice", "email": "alice@example.com"},
                         groups=["authentik Admins", "ssh-users"]),
        "bob": Account("9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
                       {"sub": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b",
                        "preferred_username": "bob", "name": "Bob", "email": "bob@example.com"}),
    },
    notes=[
        "everything but the endpoint paths, the response members and authorization_pending",
    ],
)
