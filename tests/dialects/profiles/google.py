"""Google: OAuth 2.0 for TV and Limited-Input Device Applications, with OpenID Connect.

[GO1] https://developers.google.com/identity/protocols/oauth2/limited-input-device
      (only its opening could be read: the polling-error table is unconfirmed)
[GO2] https://developers.google.com/identity/openid-connect/reference
[GO3] https://developers.google.com/identity/gsi/web/guides/devices (read as a third-party copy)
[GO4] https://developers.google.com/identity/sign-in/web/backend-auth
[GO5] https://cloud.google.com/nodejs/docs/reference/google-auth-library/latest/google-auth-library/tokenpayload
[GO6] https://googleapis.dev/dotnet/Google.Apis.Oauth2.v2/latest/api/Google.Apis.Oauth2.v2.Oauth2Service.ScopeConstants.html
[X1]  https://github.com/cli/oauth/pull/24 (third party: verification_url, client_secret in the poll)
[X2]  https://github.com/oauth2-proxy/oauth2-proxy/issues/2363 (quotes Google's hd guidance)
"""

from .base import Account, Profile, rfc_answers

CLIENT_ID = "1066473710325-dialecttest.apps.googleusercontent.com"


def claims(profile, account, groups, scopes, client_id):
    # [GO5] sub (stable; email "is not suitable for use as a primary key"), email,
    # email_verified; [X2] hd, the Workspace domain, only for organisation users.
    # [GO2]/[GO4] azp is the client id for an ID token issued to an installed client.
    # [GO6] groups: no groups claim (unconfirmed: third-party statement).
    body = {"sub": account.claims["sub"], "azp": client_id}
    if "email" in scopes:
        body.update(email=account.claims["email"], email_verified=True)
        if "hd" in account.claims:
            body["hd"] = account.claims["hd"]
    return body


PROFILE = Profile(
    name="google",
    title="Google (TVs and Limited Input devices client)",
    # [GO2] discovery on accounts.google.com names the endpoints on these hosts
    # (the token, userinfo and certs URLs are unconfirmed in vendor text read here).
    origins=["https://accounts.google.com", "https://oauth2.googleapis.com", "https://openidconnect.googleapis.com",
             "https://www.googleapis.com"],
    placeholders={"YOUR-CLIENT-ID.apps.googleusercontent.com": CLIENT_ID, "YOUR-WORKSPACE-DOMAIN": "example.com"},
    # [GO2]/[GO4] issuer https://accounts.google.com (ID tokens may also carry the legacy
    # "accounts.google.com", which a fake on another host cannot show).
    issuer="",
    paths={
        "device": "/device/code",          # [GO3] POST https://oauth2.googleapis.com/device/code
        "token": "/token",                 # https://oauth2.googleapis.com/token (unconfirmed)
        "userinfo": "/v1/userinfo",        # https://openidconnect.googleapis.com/v1/userinfo (unconfirmed)
        "jwks": "/oauth2/v3/certs",        # https://www.googleapis.com/oauth2/v3/certs (unconfirmed)
    },
    # [X1] client_secret is required in the token poll body although Google says these
    # clients "cannot keep secrets"; Basic: unconfirmed (the recipe sends it in the body).
    # [GO3] the device request carries client_id and scope.
    client={"client_id": CLIENT_ID, "auth": "post", "secret": "GOCSPX-dialect-test-secret", "device_auth": False,
            "token_auth": True},
    device={
        "uri_field": "verification_url",                   # [X1] "verification_url instead of verification_uri"
        "verification_uri": "https://www.google.com/device",  # unconfirmed (value)
        "complete": False,                                 # unconfirmed: none seen
        "expires_in": 1800,                                # unconfirmed
        "interval": 5,                                     # unconfirmed
        "user_code": "XXXX-XXXX",                          # [GO3] up to 15 characters; shape unconfirmed
    },
    # [GO1] the polling-error table could not be read. Recollection has 428 for
    # authorization_pending and 403 for slow_down and access_denied; unconfirmed, so the
    # RFC-standard 400 answers are served.
    answers=rfc_answers(),
    success={
        "token_type": "Bearer",
        "scope_separator": " ",            # unconfirmed
        # [GO6] openid, https://www.googleapis.com/auth/userinfo.email and .../userinfo.profile
        # are the OAuth2 API's scopes for openid/email/profile; that token responses name
        # them expanded is seen in third-party captures only (unconfirmed).
        "scope_names": {"email": "https://www.googleapis.com/auth/userinfo.email",
                        "profile": "https://www.googleapis.com/auth/userinfo.profile"},
        "expires_in": 3599,
        "refresh_token": True,             # [GO1] tokens "can be refreshed using a refresh token"
        "access_token_prefix": "ya29.",
    },
    claims=claims,
    accounts={
        "alice": Account("110248495921238986420", {"sub": "110248495921238986420", "email": "alice@example.com",
                                                   "hd": "example.com"}),
        "bob": Account("104738209912837465521", {"sub": "104738209912837465521", "email": "bob@example.com",
                                                 "hd": "example.com"}),
    },
    notes=[
        "every polling status (428/403 recollected; 400 served)",
        "verification_url value, expires_in, interval, user code shape",
        "expanded scope names in the token response (third-party captures)",
        "token, userinfo and certs URLs (discovery names them)",
        "client_secret_basic support",
    ],
)
