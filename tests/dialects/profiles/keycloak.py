"""Keycloak, a realm with a confidential client that has the OAuth 2.0 Device
Authorization Grant on (read from Keycloak's source and admin guide).

[KC1] https://github.com/keycloak/keycloak/blob/main/services/src/main/java/org/keycloak/protocol/oidc/grants/device/DeviceGrantType.java
[KC2] https://github.com/keycloak/keycloak/blob/main/services/src/main/java/org/keycloak/protocol/oidc/grants/device/endpoints/DeviceEndpoint.java
[KC3] https://github.com/keycloak/keycloak/blob/main/server-spi-private/src/main/java/org/keycloak/models/OAuth2DeviceConfig.java
[KC4] https://www.keycloak.org/docs/latest/server_admin/#con-oidc-auth-flows_server_administration_guide
[KC5] https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/protocol/oidc/mappers/GroupMembershipMapper.html
[KC6] https://github.com/keycloak/keycloak-community/blob/main/design/oauth2-device-authorization-grant.md
"""

from .base import Account, Answer, Profile, standard_claims

HOST = "https://keycloak.example.com"
REALM = "demo"
OIDC = f"/realms/{REALM}/protocol/openid-connect"

PROFILE = Profile(
    name="keycloak",
    title="Keycloak (confidential client)",
    origins=[HOST],
    placeholders={"YOUR-REALM": REALM},
    issuer=f"/realms/{REALM}",  # {base}/realms/{realm}; depends on the hostname setting (unconfirmed wording)
    paths={
        "device": OIDC + "/auth/device",            # [KC2], [KC6]
        "token": OIDC + "/token",                   # [KC6]
        "userinfo": OIDC + "/userinfo",             # unconfirmed
        "jwks": OIDC + "/certs",                    # unconfirmed
        "introspection": OIDC + "/token/introspect",  # unconfirmed
    },
    # [KC2] the device endpoint authenticates the client (RFC 8628 §3.1): a confidential
    # client sends its credentials at both endpoints. Basic and post are both accepted by
    # Keycloak's client-secret authenticator (unconfirmed); the fake takes Basic.
    client={"client_id": "pam-ssh", "auth": "basic", "secret": "kc-dialect-secret", "device_auth": True,
            "token_auth": True},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + f"/realms/{REALM}/device",  # [KC1], [KC2]
        "complete": True,           # [KC2] verification_uri + ?user_code=
        "expires_in": 600,          # [KC3] default lifespan
        "interval": 5,              # [KC3] default polling interval
        "user_code": "XXXX-XXXX",   # [KC2]
    },
    # [KC1] every error through CorsErrorResponseException: HTTP 400, JSON.
    answers={
        "pending": Answer(400, "authorization_pending", "The authorization request is pending"),  # text unconfirmed
        "slow_down": Answer(400, "slow_down", "Slow down"),   # [KC1] no interval member
        "denied": Answer(400, "access_denied", "The end user denied the authorization request"),  # [KC1]
        "expired": Answer(400, "expired_token", "Device code is expired"),  # [KC1] (text unconfirmed)
        # [KC2] the cache entry outlives the code by interval + 10 s; then "Device code not valid".
        "after_expired": Answer(400, "invalid_grant", "Device code not valid"),
        "unknown_code": Answer(400, "invalid_grant", "Device code not valid"),  # [KC1]
        # A wrong client secret: not in the notes (unconfirmed), RFC 6749 §5.2's 401
        # invalid_client is served.
    },
    success={
        # The standard Keycloak token response (field list unconfirmed; [KC4]: refresh
        # tokens by default, "identity, access and refresh token").
        "token_type": "Bearer",
        "scope_separator": " ",
        "expires_in": 300,
        "refresh_token": True,
        "extra": {"refresh_expires_in": 1800, "not-before-policy": 0,
                  "session_state": "6b0c8a2e-1f3d-4c5b-9a8e-7d6c5b4a3f21"},
    },
    # [KC5] the Group Membership mapper: claim name configurable (commonly `groups`),
    # "full group path" off gives plain names. sub = the user's UUID (unconfirmed).
    claims=standard_claims,
    accounts={
        "alice": Account("3c8f6f3e-8d52-4c57-9f3a-a11ce0000001",
                         {"sub": "3c8f6f3e-8d52-4c57-9f3a-a11ce0000001", "preferred_username": "alice",
                          "email": "alice@example.com", "email_verified": True, "name": "Alice"},
                         groups=["ssh-users"]),
        "bob": Account("5e1d2c3b-4a59-4687-8a9b-b0b000000002",
                       {"sub": "5e1d2c3b-4a59-4687-8a9b-b0b000000002", "preferred_username": "bob",
                        "email": "bob@example.com", "email_verified": True, "name": "Bob"}),
    },
    notes=[
        "description texts of pending and expired_token",
        "token response field list and scope separator",
        "userinfo, certs and introspection paths",
        "client_secret_basic accepted (post also)",
        "sub is the user's UUID",
    ],
)
