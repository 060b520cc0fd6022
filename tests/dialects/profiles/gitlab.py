"""GitLab (17.3 and later), an instance-wide application, device grant with OpenID Connect.

[GL1] https://docs.gitlab.com/api/oauth2/ (source gitlabhq/gitlabhq:doc/api/oauth2.md)
[GL2] https://www.rubydoc.info/gems/doorkeeper-device_authorization_grant/Doorkeeper/DeviceAuthorizationGrant/Errors
"""

from .base import Account, Answer, Profile, rfc_answers

HOST = "https://gitlab.example.com"


def claims(profile, account, groups, scopes, client_id):
    # sub = the numeric user id as a string; nickname/preferred_username = the username
    # (mutable); groups_direct: all unconfirmed (GitLab's OIDC page was not read).
    body = dict(account.claims)
    if groups:
        body["groups_direct"] = list(groups)
    return body


PROFILE = Profile(
    name="gitlab",
    title="GitLab (instance application)",
    origins=[HOST],
    placeholders={"YOUR-APPLICATION-ID": "2f5c1dialecttest0000000000000000000000000000000000000000000000a1"},
    issuer="",  # https://gitlab.example.com (unconfirmed)
    paths={
        "device": "/oauth/authorize_device",  # [GL1]
        "token": "/oauth/token",              # [GL1]
        "userinfo": "/oauth/userinfo",        # [GL1] (named in its CORS list)
        "jwks": "/oauth/discovery/keys",      # unconfirmed
    },
    # [GL1] the token poll example sends only client_id.
    client={"client_id": "2f5c1dialecttest0000000000000000000000000000000000000000000000a1", "auth": "none",
            "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/oauth/device",  # [GL1]
        "complete": True,                            # [GL1] .../oauth/device?user_code=
        "expires_in": 300,                           # [GL1]
        "interval": 5,                               # [GL1]
        "user_code": "AAAAAAAA",                     # [GL1] 8 alphanumerics (0A44L90H)
    },
    # [GL1] JSON {"error", "error_description"} for authorization_pending, slow_down
    # ("reduce polling rate"), expired_token, access_denied; the HTTP statuses are not
    # stated (unconfirmed; [GL2]'s doorkeeper uses 400): the RFC answers are served.
    answers=rfc_answers(slow_down=Answer(400, "slow_down", "The client is polling too quickly and should back "
                                                          "off at a reasonable rate.")),
    success={
        "token_type": "Bearer",   # [GL1]
        "scope_separator": " ",   # [GL1] space separated
        "expires_in": 7200,       # [GL1]
        "refresh_token": False,   # [GL1] none in the device example (unconfirmed)
        "extra": {"created_at": 1764583200},  # [GL1] non-standard created_at
    },
    claims=claims,
    accounts={
        "alice": Account("1042", {"sub": "1042", "nickname": "alice", "preferred_username": "alice",
                                  "email": "alice@example.com", "email_verified": True}, groups=["infra"]),
        "bob": Account("2077", {"sub": "2077", "nickname": "bob", "preferred_username": "bob",
                                "email": "bob@example.com", "email_verified": True}),
    },
    notes=[
        "HTTP statuses of the polling errors (400 served)",
        "issuer, discovery, keys path",
        "ID token claims: sub = user id, groups_direct",
        "refresh token in the device flow",
    ],
)
