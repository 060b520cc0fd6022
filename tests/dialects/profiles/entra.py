"""Microsoft Entra ID, v2.0 endpoints, device code flow, a single tenant pinned by its id.

[EN1] https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
[EN2] https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
[EN3] https://learn.microsoft.com/entra/identity-platform/scenario-desktop-app-registration
[EN4] https://learn.microsoft.com/entra/identity-platform/reference-error-codes
[EN5] https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc
"""

import uuid

from .base import Account, Answer, Profile

TENANT = "9b3f1c2e-4d5a-4e6f-8a7b-1c2d3e4f5a6b"
APP = "0f4e2d1c-6b5a-4978-8877-665544332211"
SSH_USERS = "5d8e7f60-1a2b-4c3d-9e8f-a0b1c2d3e4f5"  # the object id of the group "ssh-users"


def aadsts(status, error, number, text):
    # [EN4] AADSTS codes 70016 (pending), 70018 (bad verification code), 70019 (expired).
    # The extra members (error_codes, timestamp, trace_id, correlation_id) and the
    # description's "\r\nTrace ID" lines are unconfirmed (MSAL/ADAL test fixtures).
    trace = str(uuid.uuid4())
    return Answer(status, error, f"AADSTS{number}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {uuid.uuid4()}"
                                 f"\r\nTimestamp: 2026-12-01 10:00:00Z",
                  extra={"error_codes": [number], "timestamp": "2026-12-01 10:00:00Z", "trace_id": trace,
                         "correlation_id": str(uuid.uuid4())})


def claims(profile, account, groups, scopes, client_id):
    # [EN2] oid: immutable, same for the user across apps (needs the profile scope);
    # tid: the tenant; sub: pairwise per application; preferred_username: mutable, "can't
    # be used to make authorization decisions"; ver "2.0" for v2 tokens; nbf present.
    body = {"sub": account.claims["sub"], "tid": TENANT, "ver": "2.0", "nbf": 1700000000}
    if "profile" in scopes:
        body.update(oid=account.claims["oid"], preferred_username=account.claims["preferred_username"],
                    name=account.claims["name"])
    # [EN2] groups: an optional claim of group object ids (emitted when the app's token
    # configuration adds it). Overage: above 200 groups in a JWT it is left out, and
    # _claim_names/_claim_sources point at Microsoft Graph instead.
    if len(groups) > 200:
        body["_claim_names"] = {"groups": "src1"}
        body["_claim_sources"] = {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/"
                                                       f"{account.claims['oid']}/getMemberObjects"}}
    elif groups:
        body["groups"] = list(groups)
    return body


PROFILE = Profile(
    name="entra",
    title="Microsoft Entra ID (v2.0, single tenant)",
    # [EN1] login.microsoftonline.com; [EN5] userinfo on graph.microsoft.com (from discovery).
    origins=["https://login.microsoftonline.com", "https://graph.microsoft.com"],
    placeholders={"YOUR-TENANT-ID": TENANT, "YOUR-APPLICATION-ID": APP, "YOUR-GROUP-OBJECT-ID": SSH_USERS},
    # [EN2] v2 tokens: iss https://login.microsoftonline.com/{tid}/v2.0. [EN5] for common or
    # organizations discovery's issuer is the template ".../{tenantid}/v2.0": pin the tenant.
    issuer=f"/{TENANT}/v2.0",
    paths={
        "device": f"/{TENANT}/oauth2/v2.0/devicecode",   # [EN1]
        "token": f"/{TENANT}/oauth2/v2.0/token",         # [EN1] the same tenant as the device request
        "userinfo": "/oidc/userinfo",                    # [EN5] https://graph.microsoft.com/oidc/userinfo
        "jwks": f"/{TENANT}/discovery/v2.0/keys",        # unconfirmed (from discovery)
    },
    # [EN1] the token request carries no secret; [EN3] "Allow public client flows" = Yes.
    client={"client_id": APP, "auth": "none", "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",                          # [EN1]
        "verification_uri": "https://microsoft.com/devicelogin",  # unconfirmed (MSAL fixtures)
        # [EN1] verification_uri_complete is "not included or supported at this time".
        "complete": False,
        # [EN1] message: text for the user, localizable with ?mkt= (display only, never parse it).
        "message": lambda uri, code: f"To sign in, use a web browser to open the page {uri} and enter the code "
                                     f"{code} to authenticate.",
        "expires_in": 900,         # [EN1] default 15 minutes
        "interval": 5,             # [EN1] the field; 5 is unconfirmed
        "user_code": "AAAAAAAAA",  # unconfirmed: 9 alphanumerics in MSAL fixtures
    },
    answers={
        # [EN1] authorization_pending; HTTP 400 is unconfirmed (fixtures; also RFC 6749 §5.2).
        "pending": aadsts(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is "
                                                               "pending. Continue polling."),
        # [EN1] slow_down is not documented by Entra: the RFC 8628 answer is served.
        "slow_down": Answer(400, "slow_down"),
        # [EN1] authorization_declined: "The end user denied the authorization request."
        # (its AADSTS number is not in the notes: none is sent)
        "denied": Answer(400, "authorization_declined", "The end user denied the authorization request."),
        "expired": aadsts(400, "expired_token", 70019, "Verification code expired."),   # [EN1]
        # [EN1] bad_verification_code: the device_code was not recognized.
        "unknown_code": aadsts(400, "bad_verification_code", 70018, "Invalid verification code."),
    },
    success={
        "token_type": "Bearer",    # [EN1] "Always Bearer"
        # [EN1] space separated; the example "User.Read profile openid email" shows resource
        # scopes renamed. How a custom API's scope (api://APP/ssh.login) comes back is
        # unconfirmed: served as requested.
        "scope_separator": " ",
        "expires_in": 3599,
        "refresh_token": False,    # [EN1] only with offline_access (not requested)
        "extra": {"ext_expires_in": 3599},  # unconfirmed
    },
    claims=claims,
    accounts={
        "alice": Account("2f4e8a10-0c1d-4b2e-9f3a-5b6c7d8e9f01",
                         {"oid": "2f4e8a10-0c1d-4b2e-9f3a-5b6c7d8e9f01",
                          "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
                          "preferred_username": "alice@contoso.onmicrosoft.com", "name": "Alice"},
                         groups=[SSH_USERS]),
        "bob": Account("7c9d0e1f-2a3b-4c5d-8e6f-708192a3b4c5",
                       {"oid": "7c9d0e1f-2a3b-4c5d-8e6f-708192a3b4c5",
                        "sub": "AAAAAAAAAAAAAAAAAAAAAPq9Zx1yWb2VcU3TtSs4Rr",
                        "preferred_username": "bob@contoso.onmicrosoft.com", "name": "Bob"}),
    },
    notes=[
        "HTTP 400 for the polling errors (fixtures)",
        "error_codes/trace_id/correlation_id members and the CR LF lines in error_description (fixtures)",
        "slow_down: not documented (RFC answer served)",
        "verification_uri value, interval 5, the 9-character user code",
        "scope text returned for a custom API scope",
        "jwks path",
    ],
)
