"""Okta, custom authorization server `default`, Native OIDC application.

[OK1] https://developer.okta.com/docs/guides/device-authorization-grant/main/
      (the stored copy is an early-access era version of the guide)
[OK2] https://developer.okta.com/docs/guides/customize-tokens-groups-claim/add-groups-claim-custom-as/
[OK3] https://developer.okta.com/docs/reference/api/authorization-servers/
[X1]  https://hexdocs.pm/ash_authentication/5.0.0-rc.9/AshAuthentication.Strategy.Okta.md (third party: issuers)
"""

from .base import Account, Answer, Profile, rfc_answers, standard_claims

HOST = "https://YOUR-ORG.okta.com"

PROFILE = Profile(
    name="okta",
    title="Okta (custom authorization server)",
    origins=[HOST],
    placeholders={"YOUR-CLIENT-ID": "0oa1dialecttest5d7"},
    # [X1] custom AS issuer https://{yourOktaDomain}/oauth2/{authServerId} (unconfirmed in
    # vendor text; [OK3] confirms the `default` server's name).
    issuer="/oauth2/default",
    paths={
        "device": "/oauth2/default/v1/device/authorize",  # [OK1]
        "token": "/oauth2/default/v1/token",              # [OK1]
        "userinfo": "/oauth2/default/v1/userinfo",        # unconfirmed
        "jwks": "/oauth2/default/v1/keys",                # unconfirmed
    },
    # [OK1] "only supported with a Native OIDC application"; the sample device and token
    # requests send only client_id (a public client; that `none` works is unconfirmed).
    client={"client_id": "0oa1dialecttest5d7", "auth": "none", "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": HOST + "/activate",  # [OK1]
        # [OK1] (EA copy) verification_uri_complete "will be available soon": whether it is
        # sent now is unconfirmed; RFC 8628 §3.2 makes it optional: sent.
        "complete": True,
        "expires_in": 600,        # [OK1] the user code is valid 10 minutes
        "interval": 5,            # [OK1]
        "user_code": "XXXXXXXX",  # [OK1] 8 letters, no hyphen (e.g. HMBSRJRC)
    },
    answers=rfc_answers(
        # [OK1] the body; its HTTP 400 is unconfirmed (a third-party client's observation).
        pending=Answer(400, "authorization_pending",
                       "The device authorization is pending. Please try again later."),
        # slow_down, access_denied, expired_token and the unknown-code answer are not in
        # [OK1]: unconfirmed, the RFC answers are served.
    ),
    success={
        "token_type": "Bearer",     # [OK1]
        "scope_separator": " ",     # [OK1] "offline_access openid profile"
        "expires_in": 3600,         # [OK1]
        "refresh_token": False,     # [OK1] only with offline_access at /device/authorize
    },
    # [OK2] a `groups` claim added to the custom AS (a filter or an allow list); custom AS:
    # in ID and access tokens. sub = the Okta user id (unconfirmed); preferred_username is
    # the login (mutable, unconfirmed).
    claims=standard_claims,
    accounts={
        "alice": Account("00u1a2b3c4d5e6f7g8h9", {"sub": "00u1a2b3c4d5e6f7g8h9", "ver": 1,
                                                  "preferred_username": "alice@example.com", "name": "Alice"},
                         groups=["Everyone", "ssh-users"]),
        "bob": Account("00u9z8y7x6w5v4u3t2s1", {"sub": "00u9z8y7x6w5v4u3t2s1", "ver": 1,
                                                "preferred_username": "bob@example.com", "name": "Bob"},
                       groups=["Everyone"]),
    },
    notes=[
        "HTTP status of every polling error (400 served)",
        "slow_down, access_denied, expired_token, unknown-code answers (RFC served)",
        "verification_uri_complete presence today",
        "issuer string, discovery, userinfo and keys paths",
        "sub is the stable user id; public client with token_endpoint_auth_method none",
    ],
)
