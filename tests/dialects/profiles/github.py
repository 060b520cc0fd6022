"""GitHub (OAuth app) device flow. No OpenID Connect: identity from GET /user, groups from
the organisation and team lists.

[GH1] https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
[GH2] https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
[GH3] https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
[GH-USER] https://docs.github.com/en/rest/users/users#get-the-authenticated-user
[GH-ORGS] https://docs.github.com/en/rest/orgs/orgs#list-organizations-for-the-authenticated-user
[GH-TEAMS] https://docs.github.com/en/rest/teams/teams#list-teams-for-the-authenticated-user
"""

from .base import Account, Answer, Profile

ERROR_URI = "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"


def github_error(name, description):
    # [GH2] "Until the user enters the code, GitHub will respond with a 200 status and an
    # error response query parameter": every device-flow error is HTTP 200.
    # The description texts and error_uri are unconfirmed (paraphrased from [GH1]'s table).
    return Answer(200, name, description, extra={"error_uri": ERROR_URI})


def user_body(profile, account, groups, scopes):
    # [GH-USER] GET /user: `login` (the user name, which its owner can change) and the
    # numeric `id`. That `id` is the stable key is unconfirmed in the notes (GitHub says
    # elsewhere that logins can be renamed); the recipe keys on `id` either way.
    body = {"login": account.claims["login"], "id": account.claims["id"], "node_id": account.claims["node_id"],
            "type": "User", "site_admin": False, "name": account.claims["name"], "email": None}
    return body


def memberships(kind, groups):
    orgs = sorted({g.split("/", 1)[0] for g in groups})
    if kind == "orgs":
        # [GH-ORGS] a list of organisations; `login` is the organisation's name.
        return [{"login": org, "id": 9000 + n, "node_id": f"O_{org}", "url": f"https://api.github.com/orgs/{org}",
                 "description": ""} for n, org in enumerate(orgs)]
    # [GH-TEAMS] a list of teams across all organisations, each with its `slug` and its
    # `organization` (whose `login` is the organisation's name).
    teams = [g.split("/", 1) for g in groups if "/" in g]
    return [{"id": 7000 + n, "node_id": f"T_{org}_{slug}", "name": slug, "slug": slug, "privacy": "closed",
             "permission": "pull", "organization": {"login": org, "id": 9000 + orgs.index(org)}}
            for n, (org, slug) in enumerate(teams)]


PROFILE = Profile(
    name="github",
    title="GitHub (OAuth app)",
    # [GH1] device and token endpoints on github.com; [GH-USER] the API on api.github.com.
    origins=["https://github.com", "https://api.github.com"],
    placeholders={"YOUR-CLIENT-ID": "Ov23liDialectTest01", "YOUR-ORG": "acme"},
    issuer=None,  # [GH1] OAuth only: no discovery, no ID token (absence; unconfirmed as a statement)
    paths={
        "device": "/login/device/code",            # [GH1] POST https://github.com/login/device/code
        "token": "/login/oauth/access_token",      # [GH1] POST https://github.com/login/oauth/access_token
        "userinfo": "/user",                       # [GH1] "revalidate the user's identity": GET /user
        "orgs": "/user/orgs",                      # [GH-ORGS]
        "teams": "/user/teams",                    # [GH-TEAMS]
    },
    # [GH1] "The client_secret is not needed for the device flow": client_id only.
    client={"client_id": "Ov23liDialectTest01", "auth": "none", "device_auth": False, "token_auth": False},
    device={
        "uri_field": "verification_uri",                       # [GH1] the RFC spelling
        "verification_uri": "https://github.com/login/device",  # [GH1]
        "complete": False,                                     # [GH1] no verification_uri_complete
        "expires_in": 900,                                     # [GH1] default 900
        "interval": 5,                                         # [GH2] default 5
        "user_code": "XXXX-XXXX",                              # [GH1] 8 characters, hyphen in the middle
    },
    # [GH1] answers are application/x-www-form-urlencoded unless Accept: application/json.
    form_unless_json=True,
    answers={
        "pending": github_error("authorization_pending", "The authorization request is still pending."),
        # [GH1] slow_down adds 5 s; "The error response includes the new interval".
        "slow_down": Answer(200, "slow_down", "Too many requests have been made in the same timeframe.",
                            extra={"error_uri": ERROR_URI}, new_interval=True),
        # [GH1] access_denied: the user clicked cancel.
        "denied": github_error("access_denied", "The authorization request was denied."),
        # [GH1] the table's name is expired_token; its prose says "token_expired" (a doc
        # inconsistency): the table's name, which is also RFC 8628's, is served.
        "expired": github_error("expired_token", "The device_code has expired."),
        # [GH1] incorrect_device_code: the device_code is not valid.
        "unknown_code": github_error("incorrect_device_code", "The device_code provided is not valid."),
        # [GH1] incorrect_client_credentials (a secret or client id that is wrong).
        "invalid_client": github_error("incorrect_client_credentials", "The client_id and/or client_secret "
                                       "passed are incorrect."),
    },
    success={
        "token_type": "bearer",          # [GH1] example: "token_type":"bearer" (lower case)
        "scope_separator": ",",          # [GH1] example: "scope":"repo,gist" (order not stable)
        "access_token_prefix": "gho_",   # [GH1] example access token gho_...
        "id_token": False,
        "refresh_token": False,          # [GH1] OAuth apps: no refresh token, no expires_in
        "content_type": "application/json; charset=utf-8",
    },
    claims=None,
    userinfo=user_body,
    user_agent_required=True,            # [GH3] requests without User-Agent are rejected
    # [GH-ORGS] "requires at least user or read:org scope ... insufficient scope will
    # receive a 403 Forbidden"; [GH-TEAMS] "need the user, repo, or read:org scope".
    group_scopes=("read:org", "user", "repo"),
    memberships=memberships,
    accounts={
        "alice": Account("583231", {"login": "alice-octo", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
                                    "name": "Alice"}, groups=["acme", "acme/ssh-users"]),
        "bob": Account("9919", {"login": "bob-octo", "id": 9919, "node_id": "MDQ6VXNlcjk5MTk=", "name": "Bob"},
                       groups=["acme"]),
    },
    notes=[
        "error_description/error_uri texts of the device-flow errors (paraphrased)",
        "numeric id as the stable key (logins can be renamed)",
        "Retry-After / HTTP 429 on polling: not documented",
        "an error 403 body for insufficient scope at /user/orgs (status confirmed, body text not)",
    ],
)
