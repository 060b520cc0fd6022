"""Dex, a static public client, device flow (read from Dex's source and docs).

[DX1] https://github.com/dexidp/dex/blob/master/server/deviceflowhandlers.go
[DX2] https://github.com/dexidp/dex/blob/master/server/handlers.go (handleToken, device grant)
[DX3] https://github.com/dexidp/dex/pull/4204 (pending answer 401 -> 400, merged July 2025)
[DX4] https://dexidp.io/docs/configuration/custom-scopes-claims-clients/
[DX5] https://dexidp.io/docs/configuration/tokens/
[DX6] https://github.com/dexidp/dex/pull/1706
[DX7] https://github.com/dexidp/dex/pull/4928
"""

import base64

from .base import Account, Answer, Profile

HOST = "https://dex.example.com"


def dex_sub(user_id, connector):
    # [DX4]/[DX5] sub: base64 (unpadded) of the protobuf {user_id: 1, conn_id: 2}: stable
    # per connector, opaque.
    raw = b"\x0a" + bytes([len(user_id)]) + user_id.encode() + b"\x12" + bytes([len(connector)]) + connector.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(profile, account, groups, scopes, client_id):
    body = {"sub": account.claims["sub"], "name": account.claims["name"],
            "preferred_username": account.claims["preferred_username"]}
    if "email" in scopes:
        body.update(email=account.claims["email"], email_verified=True)
    # [DX4] groups only with the `groups` scope (connector-dependent).
    if "groups" in scopes and groups:
        body["groups"] = list(groups)
    return body


PROFILE = Profile(
    name="dex",
    title="Dex (static public client)",
    origins=[HOST],
    issuer="",  # the configured issuer URL (unconfirmed wording)
    paths={
        "device": "/device/code",   # [DX1], [DX6]
        "token": "/token",          # [DX1] (/device/token is the deprecated alias)
        "userinfo": "/userinfo",    # unconfirmed
        "jwks": "/keys",            # unconfirmed
    },
    # [DX2] the device branch of /token does not authenticate the client; [DX4] a static
    # client with `public: true` needs no secret.
    client={"client_id": "pam-ssh", "auth": "none", "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/device",  # [DX1]
        "complete": True,                      # [DX1]
        "expires_in": 300,                     # [DX5] expiry.deviceRequests default 5m
        "interval": 5,                         # [DX1]
        "user_code": "XXXX-XXXX",              # [DX1] e.g. FQXZ-HRCG
    },
    answers={
        # [DX1] tokenErrHelper(w, deviceTokenPending, "", http.StatusUnauthorized): HTTP 401
        # in releases before [DX3] (400 after it). The older answer is served.
        "pending": Answer(401, "authorization_pending"),
        "slow_down": Answer(400, "slow_down"),      # [DX1] no interval member
        # [DX1] no denial: a person who declines leaves the code pending until it expires.
        "expired": Answer(400, "expired_token"),    # [DX1]
        "unknown_code": Answer(400, "invalid_request", "Invalid Device code."),  # [DX1]
    },
    success={
        # The normal code-exchange response [DX1]; token_type's case is unconfirmed
        # ("bearer" or "Bearer"): RFC 6749's "Bearer" is served; scope: unconfirmed, sent.
        "token_type": "Bearer",
        "scope_separator": " ",
        "expires_in": 86399,
        "refresh_token": False,     # [DX5] only with offline_access
    },
    claims=claims,
    accounts={
        "alice": Account(dex_sub("alice", "ldap"), {"sub": dex_sub("alice", "ldap"), "name": "Alice",
                                                    "preferred_username": "alice", "email": "alice@example.com"},
                         groups=["ssh-users", "staff"]),
        "bob": Account(dex_sub("bob", "ldap"), {"sub": dex_sub("bob", "ldap"), "name": "Bob",
                                                "preferred_username": "bob", "email": "bob@example.com"},
                       groups=["staff"]),
    },
    notes=[
        "token_type case and scope in the token response",
        "userinfo and keys paths",
        "which pending status a deployed Dex sends: 401 before PR #4204, 400 after (401 served)",
    ],
)
