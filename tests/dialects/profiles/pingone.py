"""PingOne (SaaS), an OIDC application with the DEVICE_CODE grant.

[P11] https://developer.pingidentity.com/pingone-api/auth/openid-connect-oauth-2/device-authorization-grant.html
[P12] https://developer.pingidentity.com/pingone-api/foundations/authentication-concepts/authorization-flow-by-grant-type/device-code-grant-type.html
[P13] https://docs.pingidentity.com/pingone/applications/p1_device_authorization_grant.html
[P14] https://docs.pingidentity.com/pingone/applications/p1_device_custom_verification_uris.html
[P15] https://developer.pingidentity.com/pingone-api/workflow-library/platform-sso-and-authorization/openid-connect-oidc/device-authorization-grant-flow/test-the-workflow/step-5-authorize-device.md
"""

from .base import Account, Profile, rfc_answers, standard_claims

HOST = "https://auth.pingone.com"
ENV = "7d1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"

PROFILE = Profile(
    name="pingone",
    title="PingOne (OIDC application, DEVICE_CODE)",
    origins=[HOST],
    placeholders={"YOUR-ENVIRONMENT-ID": ENV, "YOUR-CLIENT-ID": "6e5d4c3b-2a19-4807-b6a5-dialect00001"},
    issuer=f"/{ENV}/as",  # https://auth.pingone.com/{envID}/as (unconfirmed)
    paths={
        "device": f"/{ENV}/as/device_authorization",  # [P11], [P12], [P15]
        "token": f"/{ENV}/as/token",                  # [P11]
        "userinfo": f"/{ENV}/as/userinfo",            # unconfirmed
        "jwks": f"/{ENV}/as/jwks",                    # unconfirmed
    },
    # [P11] an application with grant type DEVICE_CODE; token endpoint auth method NONE
    # possible (unconfirmed).
    client={"client_id": "6e5d4c3b-2a19-4807-b6a5-dialect00001", "auth": "none", "device_auth": False,
            "token_auth": False},
    device={
        "uri_field": "verification_uri",
        "verification_uri": f"{HOST}/{ENV}/device",  # [P11] start-flow endpoint /{envID}/device
        "complete": True,                           # [P13], [P14] ...?user_code=<userCode> variants
        "expires_in": 600,                          # unconfirmed
        "interval": 5,                              # unconfirmed
        "user_code": "AAAA-AAAA",                   # [P13] e.g. HVF7-B4KW
    },
    # [P13] "The token request must include the device authorization grant type, the
    # device code, and the user code": a user_code at the token endpoint is not RFC 8628
    # and is unconfirmed in effect; the fake does not require it. The polling answers are
    # unconfirmed: RFC answers served.
    answers=rfc_answers(),
    success={
        "token_type": "Bearer",
        "scope_separator": " ",  # unconfirmed
        "expires_in": 3600,      # unconfirmed
        "refresh_token": False,
    },
    claims=standard_claims,  # sub = the user's UUID (unconfirmed)
    accounts={
        "alice": Account("a11ce000-1b2c-4d3e-8f4a-5b6c7d8e9f00", {"sub": "a11ce000-1b2c-4d3e-8f4a-5b6c7d8e9f00",
                                                                 "preferred_username": "alice",
                                                                 "name": "Alice"}),
        "bob": Account("b0b00000-2c3d-4e5f-9a6b-7c8d9e0f1a2b", {"sub": "b0b00000-2c3d-4e5f-9a6b-7c8d9e0f1a2b",
                                                               "preferred_username": "bob", "name": "Bob"}),
    },
    notes=[
        "issuer, userinfo and jwks paths; expires_in and interval defaults",
        "every polling answer (RFC served)",
        "user_code at the token endpoint (not required by the fake)",
        "groups claim (none configured)",
    ],
)
